/**
 * `mqx pub --simulate sparkplug --group G --edge E [--devices N]`: runs an EdgeNode on a real
 * connection. Subscribes to its NCMD before the NBIRTH (a host's rebirth request must not be
 * missed), publishes a round of readings every --interval, and before a clean end the NDEATH the
 * broker would otherwise not send. Loaded only for this simulation (its own bundle).
 */
import { Client } from '../../src/client/client.js';
import { RejectedError, UsageError } from '../../src/errors.js';
import { loadSparkplug } from '../../src/payload/sparkplug/proto.js';
import { reasonName } from '../../src/protocol/reason-codes.js';
import { seededRandom } from '../../src/simulate/sensors.js';
import { connectWithFeedback } from './connect.js';
import type { ConnectionArgv, ResolvedConnection } from './connection-flags.js';
import { counter, onInterrupt } from './interrupt.js';
import { EdgeNode, type Outgoing } from './sparkplug-edge.js';

export interface EdgeNodeArgv extends ConnectionArgv {
  topics?: string[];
  topic?: string | string[];
  group?: string;
  edge?: string;
  devices?: number;
  count?: number;
  interval?: number;
  seed?: number;
  encode?: string;
}

/** Sparkplug ids are topic levels: no separator, no wildcard (specification 4.1.1). */
function id(value: string | undefined, flag: string): string {
  if (value === undefined || value === '') throw new UsageError(`--simulate sparkplug needs --${flag} ID`);
  if (/[/+#]/.test(value)) throw new UsageError(`--${flag} must not contain /, + or #`);
  return value;
}

function checkFlags(argv: EdgeNodeArgv, connection: ResolvedConnection) {
  const group = id(argv.group, 'group');
  const edge = id(argv.edge, 'edge');
  if ((argv.topics?.length ?? 0) > 0 || argv.topic !== undefined || connection.extraPositionals.length > 0)
    throw new UsageError('--simulate sparkplug publishes to spBv1.0/GROUP/...: give no topic');
  if (argv.encode !== undefined)
    throw new UsageError('--simulate sparkplug sends Sparkplug B: drop --encode');
  if (connection.options.will) throw new UsageError('--simulate sparkplug sets its own will (the NDEATH)');
  const devices = argv.devices ?? 0;
  if (!Number.isInteger(devices) || devices < 0) throw new UsageError('--devices must be 0 or more');
  const count = argv.count;
  if (count !== undefined && (!Number.isInteger(count) || count < 1))
    throw new UsageError('--count must be a positive integer');
  if (argv.interval !== undefined && !(argv.interval >= 0))
    throw new UsageError('--interval must be ≥ 0 seconds');
  return { group, edge, devices, count, intervalMs: (argv.interval ?? 1) * 1000 };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runEdgeNode(argv: EdgeNodeArgv, connection: ResolvedConnection): Promise<void> {
  const { group, edge, devices, count, intervalMs } = checkFlags(argv, connection);
  await loadSparkplug();
  const random = seededRandom(argv.seed ?? Math.floor(Math.random() * 2 ** 32));
  const node = new EdgeNode({ group, edge, devices, random, bdSeq: 0 });
  const will = node.death(new Date());
  const client = new Client({
    ...connection.options,
    will: { topic: will.topic, payload: will.payload, qos: 1, retain: false },
  });
  const sent = counter();
  const send = async (m: Outgoing) => {
    await client.publish(m.topic, m.payload, { qos: 0, retain: false });
    sent.count++;
  };
  const goodbye = () => send(node.death(new Date())).catch(() => undefined);
  const interrupt = onInterrupt(sent, 'published', () =>
    goodbye().then(() => client.end({ timeoutMs: 200 })),
  );
  client.on('message', (packet) => {
    if (packet.topic === node.commandTopic && node.wantsRebirth(packet.payload)) {
      for (const m of node.birth(new Date())) send(m).catch(() => undefined);
    }
  });
  const run = async () => {
    await connectWithFeedback(client, connection.debug);
    const [code = 0] = await client.subscribe([{ topicFilter: node.commandTopic, qos: 1 }]);
    if (code >= 0x80)
      throw new RejectedError(`subscription to ${node.commandTopic} refused: ${reasonName(code)}`, code);
    for (const m of node.birth(new Date())) await send(m);
    for (let n = 0; count === undefined || n < count; n++) {
      if (n > 0) await sleep(intervalMs);
      for (const m of node.data(new Date())) await send(m);
    }
    await goodbye();
    await client.end();
  };
  try {
    await interrupt.guard(run());
  } catch (err) {
    client.destroy();
    throw err;
  } finally {
    interrupt.dispose();
  }
}
