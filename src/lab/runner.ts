/**
 * Runs a planned lab: brokers first (each bridge's target before its source when the bridges allow
 * it), then waits until every broker listens and every bridge is connected, then subscribers, then
 * publishers. stop() undoes it in the reverse order. Whatever fails to start stops what started
 * and ends with one line naming the broker.
 */

import { StandaloneBridge } from '../bridge/standalone.js';
import type { Broker } from '../broker/broker.js';
import { Client } from '../client/index.js';
import { MqxError } from '../errors.js';
import { Sensor, seededRandom, sensorPayload } from '../simulate/sensors.js';
import type { LabPublisher, LabSubscriber } from './lab-file.js';
import type { Plan, PlannedBroker } from './plan.js';
import { startLabBroker } from './start-broker.js';

/** How long the bridges have to connect before the lab gives up. */
const BRIDGE_WAIT_MS = 15_000;
/** After the bridges connect, their SUBSCRIBEs to the remote side need a moment to be granted. */
const SETTLE_MS = 300;

export interface SubscriberState {
  spec: LabSubscriber;
  client: Client;
  /** Messages per topic. */
  counts: Map<string, number>;
  last: Array<{ topic: string; payload: string }>;
}

export interface PublisherState {
  spec: LabPublisher;
  client: Client;
  sent: number;
  timer: NodeJS.Timeout | undefined;
}

export interface RunningLab {
  plan: Plan;
  brokers: Array<{ planned: PlannedBroker; broker: Broker }>;
  /** The lab file's standalone bridges, with the broker they run beside. */
  standalone: Array<{ from: string; to: string; bridge: StandaloneBridge }>;
  subscribers: SubscriberState[];
  publishers: PublisherState[];
  /** Stops the publishers only, so that what they sent can still arrive. */
  stopPublishing(): void;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Targets before the brokers that dial them, so that a bridge's first attempt finds its remote. */
function startOrder(plan: Plan): PlannedBroker[] {
  const depth = new Map<string, number>();
  const visit = (name: string, seen: string[]): number => {
    if (seen.includes(name)) return 0;
    const known = depth.get(name);
    if (known !== undefined) return known;
    const targets = plan.bridges.filter((b) => b.from === name).map((b) => b.to);
    const d = Math.max(0, ...targets.map((t) => 1 + visit(t, [...seen, name])));
    depth.set(name, d);
    return d;
  };
  return [...plan.brokers].sort((a, b) => visit(a.name, []) - visit(b.name, []));
}

function oneLine(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'EADDRINUSE') return 'the port is already in use';
  return String(e instanceof Error ? e.message : e).split('\n')[0]!;
}

async function waitForBridges(
  brokers: RunningLab['brokers'],
  standalone: RunningLab['standalone'],
): Promise<void> {
  const deadline = Date.now() + BRIDGE_WAIT_MS;
  for (;;) {
    const down = brokers.flatMap(({ planned, broker }) =>
      [...(broker.bridges?.bridges.values() ?? [])]
        .filter((b) => b.remote === undefined)
        .map((b) => `${b.name} (on ${planned.name})`),
    );
    for (const { from, bridge } of standalone)
      if (!bridge.state.local || !bridge.state.remote)
        down.push(`${bridge.config.name} (standalone, from ${from})`);
    if (down.length === 0) return;
    if (Date.now() > deadline)
      throw new MqxError(`lab: bridge ${down.join(', ')} not connected after ${BRIDGE_WAIT_MS / 1000} s`, 3);
    await sleep(50);
  }
}

function connect(port: number, clientId: string): Promise<Client> {
  return Client.connect({ broker: { scheme: 'mqtt', host: '127.0.0.1', port }, clientId });
}

function publishPayload(spec: LabPublisher, sensor: Sensor | undefined): string {
  if (sensor === undefined) return spec.payload!;
  return sensorPayload(sensor.kind, sensor.next(), sensor.unit, spec.format, new Date());
}

export async function startLab(plan: Plan): Promise<RunningLab> {
  const brokers: RunningLab['brokers'] = [];
  const standalone: RunningLab['standalone'] = [];
  const subscribers: SubscriberState[] = [];
  const publishers: PublisherState[] = [];
  const stopPublishing = () => {
    for (const p of publishers) clearInterval(p.timer);
  };
  const stop = async () => {
    stopPublishing();
    await Promise.all([...publishers, ...subscribers].map((c) => c.client.end().catch(() => undefined)));
    await Promise.all(standalone.map((s) => s.bridge.stop().catch(() => undefined)));
    // Sources before targets: a bridge's remote is still there while it says goodbye.
    for (const { broker } of [...brokers].reverse()) await broker.stop().catch(() => undefined);
  };
  const portOf = (name: string) => plan.brokers.find((b) => b.name === name)!.port;
  try {
    for (const planned of startOrder(plan)) {
      try {
        brokers.push({ planned, broker: await startLabBroker(planned.config) });
      } catch (err) {
        throw new MqxError(`lab: broker ${planned.name} (port ${planned.port}): ${oneLine(err)}`, 1);
      }
    }
    for (const b of plan.bridges) {
      if (b.standalone === undefined) continue;
      const local = { scheme: 'mqtt' as const, host: '127.0.0.1', port: portOf(b.from) };
      const bridge = new StandaloneBridge(b.standalone, local, () => undefined);
      bridge.start();
      standalone.push({ from: b.from, to: b.to, bridge });
    }
    await waitForBridges(brokers, standalone);
    await sleep(SETTLE_MS);
    for (const spec of plan.lab.subscribers) {
      const client = await connect(portOf(spec.broker), `lab-${spec.name}`);
      const state: SubscriberState = { spec, client, counts: new Map(), last: [] };
      client.on('message', (packet) => {
        state.counts.set(packet.topic, (state.counts.get(packet.topic) ?? 0) + 1);
        state.last.unshift({ topic: packet.topic, payload: packet.payload.toString() });
        state.last.length = Math.min(state.last.length, 3);
      });
      await client.subscribe(spec.filters.map((topicFilter) => ({ topicFilter, qos: spec.qos })));
      subscribers.push(state);
    }
    await sleep(SETTLE_MS);
    for (const [i, spec] of plan.lab.publishers.entries()) {
      const client = await connect(portOf(spec.broker), `lab-${spec.name}`);
      const sensor =
        spec.simulate === undefined ? undefined : new Sensor(spec.simulate, seededRandom(Date.now() + i));
      const state: PublisherState = { spec, client, sent: 0, timer: undefined };
      const send = () => {
        state.sent++;
        client
          .publish(spec.topic, publishPayload(spec, sensor), { qos: spec.qos, retain: spec.retain })
          .catch(() => undefined);
      };
      send();
      state.timer = setInterval(send, spec.interval * 1000);
      publishers.push(state);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { plan, brokers, standalone, subscribers, publishers, stopPublishing, stop };
}
