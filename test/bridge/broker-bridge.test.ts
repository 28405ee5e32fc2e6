import { hostname } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { type InProcessBroker, startBroker } from '../helpers/broker.js';
import { bridgeTo, connect, sleep, until } from './helpers.js';

const brokers: InProcessBroker[] = [];
const clients: Array<{ end(): Promise<void> }> = [];
async function broker(...args: Parameters<typeof startBroker>) {
  const b = await startBroker(...args);
  brokers.push(b);
  return b;
}
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.end().catch(() => undefined)));
  await Promise.all(brokers.splice(0).map((b) => b.stop()));
});

describe('in-broker bridge', () => {
  it('forwards out rules to the remote at min(rule, message) QoS', async () => {
    const central = await broker();
    const edge = await broker({ bridges: [bridgeTo('c', central.port, ['srv/# out 2'])] });
    const sub = await connect(central.port);
    clients.push(sub.client);
    await sub.client.subscribe([{ topicFilter: 'srv/#', qos: 2 }]);
    await until(() => edge.broker.sessions.get(`local.${hostname()}.c`)?.connected === true);
    const pub = await connect(edge.port);
    clients.push(pub.client);
    for (let i = 0; i < 20; i++) await pub.client.publish('srv/t', `m${i}`, { qos: 2 });
    await until(() => sub.received.length === 20);
    await sleep(100);
    expect(sub.received.map((p) => p.payload.toString())).toEqual(
      Array.from({ length: 20 }, (_, i) => `m${i}`),
    );
    expect(sub.received.every((p) => p.qos === 2)).toBe(true);
  });
});

describe('in-broker bridge: loops, retained flags, notifications, reload', () => {
  it('a both rule never echoes: each message crosses once each way', async () => {
    const central = await broker();
    const edge = await broker({
      bridges: [bridgeTo('e', central.port, ['chat/# both 2'], { remoteClientId: 'edge-1' })],
    });
    const onCentral = await connect(central.port);
    const onEdge = await connect(edge.port);
    clients.push(onCentral.client, onEdge.client);
    await onCentral.client.subscribe([{ topicFilter: 'chat/#', qos: 2 }]);
    await onEdge.client.subscribe([{ topicFilter: 'chat/#', qos: 2 }]);
    await until(() => central.broker.sessions.get('edge-1')?.connected === true);
    await sleep(100);
    await onEdge.client.publish('chat/a', 'from edge', { qos: 2 });
    await onCentral.client.publish('chat/b', 'from central', { qos: 1 });
    await until(() => onCentral.received.length >= 2 && onEdge.received.length >= 2);
    await sleep(500);
    const seen = (r: typeof onEdge) => r.received.map((p) => `${p.topic} ${p.payload}`).sort();
    expect(seen(onEdge)).toEqual(['chat/a from edge', 'chat/b from central']);
    expect(seen(onCentral)).toEqual(['chat/a from edge', 'chat/b from central']);
  });

  it('retained messages cross with their retain flag and are stored on the other side', async () => {
    const central = await broker();
    const edge = await broker({
      bridges: [
        bridgeTo('r', central.port, ['state/# out 1', 'config/# in 1'], { remoteClientId: 'edge-r' }),
      ],
    });
    await until(() => central.broker.sessions.get('edge-r')?.connected === true);
    const pub = await connect(edge.port);
    const centralPub = await connect(central.port);
    clients.push(pub.client, centralPub.client);
    await pub.client.publish('state/door', 'open', { qos: 1, retain: true });
    await centralPub.client.publish('config/rate', '5', { qos: 1, retain: true });
    await until(() => central.broker.retained.size >= 2 && edge.broker.retained.size >= 2);
    const late = await connect(central.port);
    const lateEdge = await connect(edge.port);
    clients.push(late.client, lateEdge.client);
    await late.client.subscribe([{ topicFilter: 'state/#', qos: 1 }]);
    await lateEdge.client.subscribe([{ topicFilter: 'config/#', qos: 1 }]);
    await until(() => late.received.length === 1 && lateEdge.received.length === 1);
    expect(late.received[0]).toMatchObject({ topic: 'state/door', retain: true });
    expect(lateEdge.received[0]).toMatchObject({ topic: 'config/rate', retain: true });
  });

  it('publishes its state 1/0 retained on $SYS/broker/connection/ID/state, locally and on the remote', async () => {
    const central = await broker();
    const edge = await broker({
      bridges: [bridgeTo('n', central.port, ['a/# out 0'], { remoteClientId: 'edge-n' })],
    });
    const watch = await connect(edge.port);
    const watchRemote = await connect(central.port);
    clients.push(watch.client, watchRemote.client);
    const topic = '$SYS/broker/connection/edge-n/state';
    await watch.client.subscribe([{ topicFilter: topic, qos: 1 }]);
    await watchRemote.client.subscribe([{ topicFilter: topic, qos: 1 }]);
    await until(() => watch.received.some((p) => p.payload.toString() === '1'));
    await until(() => watchRemote.received.some((p) => p.payload.toString() === '1'));
    // The remote goes away: the local state turns 0.
    await central.stop();
    brokers.splice(brokers.indexOf(central), 1);
    await until(() => watch.received.at(-1)?.payload.toString() === '0');
  });

  it('reload() starts added bridges, stops removed ones and restarts changed ones', async () => {
    const central = await broker();
    const edge = await broker({
      bridges: [bridgeTo('keep', central.port, ['k/# out 1'], { remoteClientId: 'keep' })],
    });
    await until(() => central.broker.sessions.get('keep')?.connected === true);
    const { startBridges } = await import('../../src/bridge/index.js');
    const running = await startBridges(edge.broker, [
      bridgeTo('old', central.port, ['o/# out 1'], { remoteClientId: 'old' }),
    ]);
    await until(() => central.broker.sessions.get('old')?.connected === true);
    await running.reload([bridgeTo('new', central.port, ['n/# out 1'], { remoteClientId: 'new' })]);
    await until(() => central.broker.sessions.get('new')?.connected === true);
    await until(() => central.broker.sessions.get('old')?.connected !== true);
    expect([...running.bridges.keys()]).toEqual(['new']);
    const sub = await connect(central.port);
    const pub = await connect(edge.port);
    clients.push(sub.client, pub.client);
    await sub.client.subscribe([{ topicFilter: '#', qos: 1 }]);
    await pub.client.publish('o/x', 'gone', { qos: 1 });
    await pub.client.publish('n/x', 'here', { qos: 1 });
    await until(() => sub.received.some((p) => p.topic === 'n/x'));
    await sleep(200);
    expect(sub.received.filter((p) => !p.topic.startsWith('$')).map((p) => p.topic)).toEqual(['n/x']);
    await running.stop();
  });

  it('queues QoS 1/2 while the remote is down and delivers them once it is back', async () => {
    const central = await broker();
    const port = central.port;
    const edge = await broker({
      bridges: [bridgeTo('q', port, ['q/# out 2'], { remoteClientId: 'edge-q' })],
    });
    await until(() => central.broker.sessions.get('edge-q')?.connected === true);
    await central.stop();
    brokers.splice(brokers.indexOf(central), 1);
    const pub = await connect(edge.port);
    clients.push(pub.client);
    for (let i = 0; i < 1500; i++) await pub.client.publish('q/x', String(i), { qos: i % 2 === 0 ? 1 : 2 });
    const session = [...edge.broker.sessions.values()].find((s) => s.isBridge)!;
    // More than max_queued_messages (1000): a bridge session holds more.
    expect(session.queue.length + session.inflight.size).toBe(1500);
    const back = await broker({
      listeners: [{ port, host: '127.0.0.1', protocol: 'mqtt', maxConnections: 0 }],
    });
    const sub = await connect(back.port);
    clients.push(sub.client);
    await sub.client.subscribe([{ topicFilter: 'q/#', qos: 2 }]);
    await until(() => sub.received.length >= 1500, 20_000);
    await sleep(200);
    expect(sub.received.map((p) => p.payload.toString())).toEqual(
      Array.from({ length: 1500 }, (_, i) => String(i)),
    );
  });
});

describe('in-broker bridge with persistence', () => {
  it('what is queued for a down remote survives a restart of the bridging broker', async () => {
    const { tempDir } = await import('../helpers/processes.js');
    const dir = tempDir('mqx-bridge-store-');
    const central = await broker();
    const port = central.port;
    const persistence = {
      enabled: true,
      location: dir,
      file: 'mqx.db',
      autosaveInterval: 1800,
      syncEveryCommit: false,
    };
    const config = {
      persistence,
      bridges: [bridgeTo('d', port, ['d/# out 2'], { remoteClientId: 'edge-d' })],
    };
    const edge = await startBroker(config);
    await until(() => central.broker.sessions.get('edge-d')?.connected === true);
    await central.stop();
    brokers.splice(brokers.indexOf(central), 1);
    const pub = await connect(edge.port);
    for (let i = 0; i < 300; i++) await pub.client.publish('d/x', String(i), { qos: 2 });
    await pub.client.end();
    await edge.stop();
    const back = await broker({
      listeners: [{ port, host: '127.0.0.1', protocol: 'mqtt', maxConnections: 0 }],
    });
    const sub = await connect(back.port);
    clients.push(sub.client);
    await sub.client.subscribe([{ topicFilter: 'd/#', qos: 2 }]);
    await broker(config);
    await until(() => sub.received.length >= 300, 20_000);
    await sleep(200);
    expect(sub.received.map((p) => p.payload.toString())).toEqual(
      Array.from({ length: 300 }, (_, i) => String(i)),
    );
  });
});

describe('start_type lazy', () => {
  it('connects once `threshold` messages wait and disconnects after idle_timeout', async () => {
    const central = await broker();
    const edge = await broker({
      bridges: [
        bridgeTo('lazy', central.port, ['l/# out 1'], {
          remoteClientId: 'edge-lazy',
          startType: 'lazy',
          threshold: 5,
          idleTimeout: 1,
        }),
      ],
    });
    const sub = await connect(central.port);
    const pub = await connect(edge.port);
    clients.push(sub.client, pub.client);
    await sub.client.subscribe([{ topicFilter: 'l/#', qos: 1 }]);
    for (let i = 0; i < 4; i++) await pub.client.publish('l/x', String(i), { qos: 1 });
    await sleep(1500);
    expect(central.broker.sessions.get('edge-lazy')).toBeUndefined();
    await pub.client.publish('l/x', '4', { qos: 1 });
    await until(() => sub.received.length === 5);
    expect(sub.received.map((p) => p.payload.toString())).toEqual(['0', '1', '2', '3', '4']);
    await until(() => central.broker.sessions.get('edge-lazy')?.connected === false, 5_000);
  });
});

describe('several addresses', () => {
  const listenerOn = (port: number) => ({
    listeners: [{ port, host: '127.0.0.1', protocol: 'mqtt' as const, maxConnections: 0 }],
  });

  it('failover: uses a secondary while the main address is down, and goes back to the main one', async () => {
    const { freePort } = await import('../helpers/ports.js');
    const mainPort = await freePort();
    const secondary = await broker();
    const config = bridgeTo('f', mainPort, ['f/# out 1'], { remoteClientId: 'edge-f' });
    config.addresses.push({ host: '127.0.0.1', port: secondary.port });
    const edge = await broker({ bridges: [config] });
    await until(
      () => secondary.broker.sessions.get('edge-f')?.connected === true,
      10_000,
      'on the secondary',
    );
    const main = await broker(listenerOn(mainPort));
    await until(() => main.broker.sessions.get('edge-f')?.connected === true, 10_000, 'back on the main');
    const sub = await connect(main.port);
    const pub = await connect(edge.port);
    clients.push(sub.client, pub.client);
    await sub.client.subscribe([{ topicFilter: 'f/#', qos: 1 }]);
    await pub.client.publish('f/x', 'via main', { qos: 1 });
    await until(() => sub.received.length === 1);
  });

  it('round_robin: stays on the address that works', async () => {
    const { freePort } = await import('../helpers/ports.js');
    const firstPort = await freePort();
    const second = await broker();
    const config = bridgeTo('rr', firstPort, ['r/# out 1'], { remoteClientId: 'edge-rr', roundRobin: true });
    config.addresses.push({ host: '127.0.0.1', port: second.port });
    await broker({ bridges: [config] });
    await until(() => second.broker.sessions.get('edge-rr')?.connected === true, 10_000, 'on the second');
    const first = await broker(listenerOn(firstPort));
    await sleep(2500);
    expect(first.broker.sessions.get('edge-rr')).toBeUndefined();
    expect(second.broker.sessions.get('edge-rr')?.connected).toBe(true);
  });
});

describe('MQTT 5.0 bridge', () => {
  it('subscribes with No Local on the remote, so a both rule does not echo', async () => {
    const central = await broker();
    const edge = await broker({
      bridges: [
        bridgeTo('v5', central.port, ['v/# both 2'], {
          remoteClientId: 'edge-v5',
          protocolVersion: 'mqttv50',
        }),
      ],
    });
    await until(() => central.broker.sessions.get('edge-v5')?.connected === true);
    const remoteSub = central.broker.sessions.get('edge-v5')!.subscriptions.get('v/#')!;
    expect(remoteSub).toMatchObject({ noLocal: true, retainAsPublished: true });
    const onEdge = await connect(edge.port);
    const onCentral = await connect(central.port);
    clients.push(onEdge.client, onCentral.client);
    await onEdge.client.subscribe([{ topicFilter: 'v/#', qos: 2 }]);
    await onCentral.client.subscribe([{ topicFilter: 'v/#', qos: 2 }]);
    await onEdge.client.publish('v/a', 'x', { qos: 2 });
    await onCentral.client.publish('v/b', 'y', { qos: 2 });
    await until(() => onEdge.received.length >= 2 && onCentral.received.length >= 2);
    await sleep(300);
    expect(onEdge.received.map((p) => p.topic).sort()).toEqual(['v/a', 'v/b']);
    expect(onCentral.received.map((p) => p.topic).sort()).toEqual(['v/a', 'v/b']);
  });
});

describe('in-broker bridge options and edges', () => {
  it('bridge_outgoing_retain false clears the retain flag towards the remote', async () => {
    const central = await broker();
    const edge = await broker({
      bridges: [
        bridgeTo('nr', central.port, ['s/# out 1'], { remoteClientId: 'edge-nr', outgoingRetain: false }),
      ],
    });
    await until(() => central.broker.sessions.get('edge-nr')?.connected === true);
    const pub = await connect(edge.port);
    clients.push(pub.client);
    await pub.client.publish('s/x', 'kept?', { qos: 1, retain: true });
    await sleep(300);
    const retainedOn = (b: InProcessBroker) => {
      const topics: string[] = [];
      b.broker.retained.match('s/#', (m) => topics.push(m.topic));
      return topics;
    };
    expect(retainedOn(edge)).toEqual(['s/x']);
    expect(retainedOn(central)).toEqual([]);
  });

  it('a client taking the bridge’s local client id does not bring the broker down', async () => {
    const central = await broker();
    const edge = await broker({
      bridges: [bridgeTo('t', central.port, ['t/# out 1'], { localClientId: 'bridge-local' })],
    });
    await until(() => edge.broker.sessions.get('bridge-local')?.connected === true);
    const intruder = await connect(edge.port, { clientId: 'bridge-local', clean: false });
    await intruder.client.end();
    const other = await connect(edge.port);
    clients.push(other.client);
    await other.client.publish('t/x', 'still up', { qos: 1 });
  });
});
