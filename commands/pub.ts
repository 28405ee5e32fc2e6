/**
 * `mqx pub`: publish a message, a file, stdin (whole or line by line) or simulated sensor readings,
 * like mosquitto_pub. Exit codes as in `mqx --help`.
 */
import { readFileSync } from 'node:fs';
import type { Argv, CommandModule, Options } from 'yargs';
import { Client } from '../src/client/client.js';
import { Publisher } from '../src/client/publisher.js';
import { UsageError } from '../src/errors.js';
import type { Simulation } from '../src/simulate/run.js';
import { validateTopicName } from '../src/topics/validate.js';
import { connectWithFeedback } from './shared/connect.js';
import {
  CONNECTION_OPTIONS,
  CONNECTION_PARSER,
  type ConnectionArgv,
  connectionFlags,
  parseQos,
  resolveConnection,
} from './shared/connection-flags.js';
import type { CommandFlags } from './shared/fast-args.js';
import { type Counter, counter, onInterrupt } from './shared/interrupt.js';
import { checkProtoFlags, ENCODE_OPTIONS, type PayloadArgv } from './shared/payload-flags.js';

type Encode = ((input: Buffer) => Buffer) | undefined;

interface PubArgv extends ConnectionArgv, PayloadArgv {
  topics?: string[];
  topic?: string | string[];
  message?: string;
  file?: string;
  stdin?: boolean;
  lines?: boolean;
  'topic-from-line'?: boolean;
  'null-message'?: boolean;
  qos?: number;
  retain?: boolean;
  repeat?: number;
  interval?: number;
  simulate?: string;
  count?: number;
  seed?: number;
  format?: string;
  devices?: number;
  'topic-aliases'?: boolean;
  group?: string;
  edge?: string;
}

const PUB_OPTIONS = {
  topic: { alias: 't', type: 'string', describe: 'topic to publish to; repeatable' },
  message: { alias: 'm', type: 'string', describe: 'payload' },
  file: { alias: 'f', type: 'string', describe: 'send a file as the payload' },
  stdin: { alias: 's', type: 'boolean', describe: 'send all of stdin as one message' },
  lines: {
    alias: 'l',
    type: 'boolean',
    describe: 'send each line of stdin as a message (blank lines skipped)',
  },
  'topic-from-line': {
    type: 'boolean',
    describe: 'with -l: each line is "TOPIC PAYLOAD" (split at the first space)',
  },
  'null-message': { alias: 'n', type: 'boolean', describe: 'send an empty message' },
  qos: { alias: 'q', type: 'number', describe: 'QoS 0, 1 or 2', default: 0 },
  retain: { alias: 'r', type: 'boolean', describe: 'retain the message' },
  repeat: { type: 'number', describe: 'publish the message N times' },
  interval: {
    alias: 'repeat-delay',
    type: 'number',
    describe: 'seconds between repeats / simulated readings',
    defaultDescription: '0, 1 with --simulate',
  },
  simulate: {
    type: 'string',
    describe:
      'publish simulated readings: temperature, humidity, auto (by topic name), sparkplug (an edge node) or a scenario file',
  },
  count: {
    type: 'number',
    describe: 'with --simulate: readings per topic (default: until interrupted)',
  },
  seed: { type: 'number', describe: 'with --simulate: seed for reproducible values' },
  format: {
    type: 'string',
    choices: ['text', 'json'],
    describe: 'with --simulate: payload format',
    default: 'text',
  },
  devices: {
    type: 'number',
    describe: 'with --simulate: N devices; %i in the topic is the device number',
  },
  'topic-aliases': {
    type: 'boolean',
    describe: 'MQTT 5: send repeated topics as topic aliases, as many as the broker allows',
  },
  ...ENCODE_OPTIONS,
  group: { type: 'string', describe: 'with --simulate sparkplug: the Sparkplug group id' },
  edge: { type: 'string', describe: 'with --simulate sparkplug: the edge node id' },
} satisfies Record<string, Options>;

/** Read by the yargs builder below and by src/cli.ts's fast path. */
export const flags: CommandFlags = {
  options: { ...CONNECTION_OPTIONS, ...PUB_OPTIONS },
  parserConfiguration: CONNECTION_PARSER,
};

function builder(y: Argv) {
  return connectionFlags(y)
    .usage('$0 pub [topic..] [options]\n\nPublish to one or more topics.')
    .positional('topics', { type: 'string', array: true, describe: 'topics to publish to (or -t)' })
    .options(PUB_OPTIONS)
    .example('$0 pub srv/temperature -m "temperature: 23"', 'one message')
    .example('$0 pub srv/temperature --qos 2 --simulate', 'a reading every second')
    .example('tail -f log | $0 pub logs -l -q 1', 'one message per line')
    .example('$0 pub --simulate sparkplug --group G --edge E --devices 2', 'a Sparkplug B edge node')
    .example('printf "a/1 on\\nb/2 off\\n" | $0 pub -l --topic-from-line', 'a topic per line');
}

function listTopics(argv: PubArgv, urlTopic: string | undefined, extra: string[]): string[] {
  const flags = argv.topic === undefined ? [] : Array.isArray(argv.topic) ? argv.topic : [argv.topic];
  const topics = [...(argv.topics ?? []).map(String), ...extra, ...flags.map(String)];
  if (argv['topic-from-line']) {
    if (!argv.lines) throw new UsageError('--topic-from-line needs -l');
    if (topics.length > 0) throw new UsageError('--topic-from-line takes the topics from stdin: drop -t');
    return topics;
  }
  if (topics.length === 0 && urlTopic !== undefined) topics.push(urlTopic);
  // A scenario says itself whether it needs a topic.
  if (topics.length === 0 && argv.simulate === undefined)
    throw new UsageError('no topic: give one as an argument or with -t');
  for (const topic of topics) {
    // %i is replaced per device; validate what will actually be sent.
    const problem = validateTopicName(topic.replace(/%i/g, '1'));
    if (problem) throw new UsageError(problem);
  }
  return topics;
}

type Source = 'message' | 'file' | 'stdin' | 'lines' | 'null' | 'simulate';

function source(argv: PubArgv): Source {
  const given: Source[] = [];
  if (argv.message !== undefined) given.push('message');
  if (argv.file !== undefined) given.push('file');
  if (argv.stdin) given.push('stdin');
  if (argv.lines) given.push('lines');
  if (argv['null-message']) given.push('null');
  if (argv.simulate !== undefined) given.push('simulate');
  if (given.length === 0) throw new UsageError('no message: use -m, -f, -s, -l, -n or --simulate');
  if (given.length > 1) throw new UsageError('give only one of -m, -f, -s, -l, -n, --simulate');
  return given[0]!;
}

function readPayloadFile(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? err}`);
  }
}

async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Splits stdin into lines as it streams; for-await gives backpressure (no read ahead of the publisher). */
async function publishLines(
  publisher: Publisher,
  topics: string[],
  topicFromLine: boolean,
  encode: Encode,
): Promise<void> {
  let rest = Buffer.alloc(0);
  let lineNumber = 0;
  const split = topicFromLine ? (await import('../src/scripting/topic-line.js')).splitTopicLine : undefined;
  const emit = async (line: Buffer) => {
    lineNumber++;
    if (line.length === 0) return;
    if (split) {
      const { topic, payload } = split(line, lineNumber);
      return publisher.send(topic, encode ? encode(payload) : payload);
    }
    const payload = encode ? encode(line) : line;
    for (const topic of topics) await publisher.send(topic, payload);
  };
  for await (const chunk of process.stdin) {
    let data = rest.length > 0 ? Buffer.concat([rest, chunk as Buffer]) : (chunk as Buffer);
    let nl = data.indexOf(10);
    while (nl !== -1) {
      await emit(data.subarray(0, nl));
      data = data.subarray(nl + 1);
      nl = data.indexOf(10);
    }
    rest = Buffer.from(data);
  }
  await emit(rest);
}

/** Runs `work` to its end or to Ctrl-C, when `stop` says goodbye; a failure `destroy`s what it opened. */
async function untilInterrupted(
  sent: Counter,
  work: () => Promise<void>,
  stop: () => Promise<void>,
  destroy: () => void,
): Promise<void> {
  const interrupt = onInterrupt(sent, 'published', stop);
  try {
    await interrupt.guard(work());
  } catch (err) {
    destroy();
    throw err;
  } finally {
    interrupt.dispose();
  }
}

async function handler(argv: PubArgv): Promise<void> {
  const connection = await resolveConnection(argv);
  if (argv.simulate === undefined) {
    for (const flag of ['group', 'edge'] as const) {
      if (argv[flag] !== undefined) throw new UsageError(`--${flag} only applies to --simulate sparkplug`);
    }
  }
  checkProtoFlags(argv, 'encode');
  const topics = listTopics(argv, connection.urlTopic, connection.extraPositionals);
  const kind = source(argv);
  const qos = parseQos(argv.qos ?? 0);
  const repeat = argv.repeat ?? 1;
  if (!Number.isInteger(repeat) || repeat < 1) throw new UsageError('--repeat must be a positive integer');
  if (argv.interval !== undefined && !(argv.interval >= 0))
    throw new UsageError('--interval must be ≥ 0 seconds');
  if (kind !== 'simulate') {
    for (const flag of ['count', 'seed', 'devices'] as const) {
      if (argv[flag] !== undefined) throw new UsageError(`--${flag} only applies to --simulate`);
    }
  }
  // Read the payload before connecting: a missing file is a usage error, not a connection.
  let payload: Buffer | undefined;
  if (kind === 'message') payload = Buffer.from(argv.message ?? '');
  else if (kind === 'file') payload = readPayloadFile(argv.file!);
  else if (kind === 'null') payload = Buffer.alloc(0);
  else if (kind === 'stdin') payload = await readStdin();
  const sim: Simulation | undefined =
    kind === 'simulate'
      ? await (await import('../src/simulate/run.js')).prepareSimulation(topics, {
          ...argv,
          simulate: argv.simulate ?? '',
          will: connection.options.will !== undefined,
        })
      : undefined;
  const encode: Encode =
    argv.encode === undefined ? undefined : await (await import('./shared/payload.js')).payloadEncoder(argv);
  if (encode && payload !== undefined && kind !== 'null') payload = encode(payload);

  const topicAliases = argv['topic-aliases'] ?? false;
  if (topicAliases && connection.options.protocolVersion !== 5)
    throw new UsageError('--topic-aliases needs MQTT 5 (-V 5)');
  if (topicAliases && connection.properties.publish?.topicAlias !== undefined)
    throw new UsageError('--topic-aliases assigns the aliases itself: drop -D publish topic-alias');

  const sent = counter();
  const clientOptions = { ...connection.options, topicAliases };
  const defaults = {
    qos,
    retain: argv.retain ?? false,
    ...(connection.properties.publish ? { properties: connection.properties.publish } : {}),
  };
  const connect = (client: Client) => connectWithFeedback(client, connection.debug);
  if (sim) {
    const [{ SimulationRun }, { clientLinks }] = await Promise.all([
      import('../src/simulate/run.js'),
      import('../src/simulate/client-link.js'),
    ]);
    const run = new SimulationRun(
      sim,
      clientLinks({ client: clientOptions, defaults, encode, sent, connect }),
    );
    return untilInterrupted(
      sent,
      () => run.run(),
      () => run.interrupt(),
      () => run.destroy(),
    );
  }
  const client = new Client(clientOptions);
  // Enough in flight to keep the pipe full, bounded so that -l never buffers a whole file.
  const publisher = new Publisher(client, defaults, sent, 1000);
  const publishAll = async () => {
    await connect(client);
    if (kind === 'lines') {
      await publishLines(publisher, topics, argv['topic-from-line'] ?? false, encode);
    } else {
      for (let i = 0; i < repeat; i++) {
        if (i > 0 && argv.interval) await sleep(argv.interval * 1000);
        for (const topic of topics) await publisher.send(topic, payload!);
      }
    }
    await publisher.drain();
    await client.end();
  };
  return untilInterrupted(
    sent,
    publishAll,
    () => client.end({ timeoutMs: 200 }),
    () => client.destroy(),
  );
}

const command: CommandModule = {
  command: 'pub [topics..]',
  describe: 'publish messages (mosquitto_pub compatible flags)',
  builder: builder as CommandModule['builder'],
  handler: (argv) => handler(argv as unknown as PubArgv),
};

export default command;
