/**
 * The in-broker bridge's QoS 1/2 flows with its remote, against a scripted remote broker: a remote
 * message is acknowledged only once the local store has committed it, and deliveries in flight
 * resume under their packet ids when the bridge's Client is replaced or the broker restarts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startBridges } from '../../src/bridge/index.js';
import type { BrokerConfig } from '../../src/config/broker-config.js';
import type { AckPacket, PublishPacket } from '../../src/protocol/types.js';
import { defaultResponder, FakeBroker, type FakeConnection } from '../client/fake-broker.js';
import { type InProcessBroker, startBroker } from '../helpers/broker.js';
import { tempDir } from '../helpers/processes.js';
import { bridgeTo, connect, until } from './helpers.js';

const cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step().catch(() => undefined);
});

async function remote(options: ConstructorParameters<typeof FakeBroker>[0]): Promise<FakeBroker> {
  const fake = await new FakeBroker(options).start();
  cleanup.push(() => fake.stop());
  return fake;
}

async function broker(config: Partial<BrokerConfig>): Promise<InProcessBroker> {
  const b = await startBroker(config);
  cleanup.push(() => b.stop());
  return b;
}

function persistence(dir: string): BrokerConfig['persistence'] {
  return { enabled: true, location: dir, file: 'mqx.db', autosaveInterval: 1800, syncEveryCommit: false };
}

const publishes = (conn: FakeConnection) =>
  conn.received.filter((p): p is PublishPacket => p.type === 'publish');

/** The PUBLISH and PUBREL packets a connection got, with DUP and packet id. */
const flows = (conn: FakeConnection) =>
  conn.received
    .filter((p): p is PublishPacket | AckPacket => p.type === 'publish' || p.type === 'pubrel')
    .map((p) => `${p.type}${p.type === 'publish' && p.dup ? ' dup' : ''} ${p.packetId}`);

/**
 * A remote that takes QoS 2 deliveries as far as PUBREC and answers nothing else on its first
 * connection, then, on later ones (session present), completes everything.
 */
function stallingRemote(accept: (index: number) => boolean = () => true) {
  let fake: FakeBroker;
  return remote({
    connack: (_c, index) => ({
      type: 'connack',
      sessionPresent: index > 0,
      reasonCode: accept(index) ? 0 : 3,
    }),
    onPacket: (p, conn) => {
      if (fake.connections.indexOf(conn) > 0) return defaultResponder(p, conn);
      if (p.type === 'publish' && p.qos === 2) conn.send({ type: 'pubrec', packetId: p.packetId! });
    },
  }).then((f) => {
    fake = f;
    return f;
  });
}

describe('in-broker bridge: remote → local acknowledgements', () => {
  it('acknowledges a remote QoS 1 message only after the local store committed it', async () => {
    const fake = await remote({});
    const edge = await broker({ persistence: persistence(tempDir('mqx-bridge-ack-')) });
    const running = await startBridges(edge.broker, [
      bridgeTo('ack', fake.port, ['in/# in 1'], { notifications: false }),
    ]);
    cleanup.push(() => running.stop());
    const conn = await fake.connection(0);
    await conn.next('subscribe');
    // Whether the store holds writes not yet committed, at the moment the PUBACK is sent.
    const store = edge.broker.store;
    let uncommitted = false;
    const retained = store.retained.bind(store);
    const commit = store.commit.bind(store);
    store.retained = (message) => {
      uncommitted = true;
      retained(message);
    };
    store.commit = () => {
      commit();
      uncommitted = false;
    };
    const atAck: boolean[] = [];
    const client = running.bridges.get('ack')!.remote!;
    client.options.trace = (direction, packet) => {
      if (direction === 'out' && packet.type === 'puback') atAck.push(uncommitted);
    };
    conn.send({
      type: 'publish',
      topic: 'in/x',
      payload: Buffer.from('kept'),
      qos: 1,
      retain: true,
      dup: false,
      packetId: 1,
    });
    await conn.next('puback');
    expect(atAck).toEqual([false]);
    const sub = await connect(edge.port);
    cleanup.push(() => sub.client.end());
    await sub.client.subscribe([{ topicFilter: 'in/#', qos: 1 }]);
    await until(() => sub.received.length === 1);
    expect(sub.received[0]!.payload.toString()).toBe('kept');
  });
});

describe('in-broker bridge: deliveries in flight keep their packet ids', () => {
  it('a new Client (the reconnect was refused) sends PUBREL and the PUBLISH with DUP under the same ids', async () => {
    // Connection 1 is refused, which ends the first Client: the link makes another.
    const fake = await stallingRemote((index) => index !== 1);
    const edge = await broker({
      bridges: [bridgeTo('ids', fake.port, ['o/# out 2'], { notifications: false })],
    });
    const first = await fake.connection(0);
    const pub = await connect(edge.port);
    cleanup.push(() => pub.client.end());
    const done = [pub.client.publish('o/two', '2', { qos: 2 }), pub.client.publish('o/one', '1', { qos: 1 })];
    await first.next('pubrel');
    await until(() => publishes(first).length === 2);
    const ids = new Map(publishes(first).map((p) => [p.topic, p.packetId!]));
    first.socket.destroy();
    const third = await fake.connection(2);
    await Promise.all(done);
    const session = [...edge.broker.sessions.values()].find((s) => s.isBridge)!;
    await until(() => session.inflight.size === 0);
    expect(flows(third)).toEqual([`pubrel ${ids.get('o/two')}`, `publish dup ${ids.get('o/one')}`]);
  });

  it('with persistence, a restarted broker resumes them under the same ids', async () => {
    const fake = await stallingRemote();
    const config = {
      persistence: persistence(tempDir('mqx-bridge-ids-')),
      bridges: [bridgeTo('restart', fake.port, ['o/# out 2'], { notifications: false })],
    };
    const edge = await startBroker(config);
    const first = await fake.connection(0);
    const pub = await connect(edge.port);
    await pub.client.publish('o/two', '2', { qos: 2 });
    await pub.client.publish('o/one', '1', { qos: 1 });
    await first.next('pubrel');
    await until(() => publishes(first).length === 2);
    const ids = new Map(publishes(first).map((p) => [p.topic, p.packetId!]));
    await pub.client.end();
    await edge.stop();

    const again = await broker(config);
    const second = await fake.connection(1);
    const session = [...again.broker.sessions.values()].find((s) => s.isBridge)!;
    await until(() => session.inflight.size === 0);
    expect(flows(second)).toEqual([`pubrel ${ids.get('o/two')}`, `publish dup ${ids.get('o/one')}`]);
  });
});
