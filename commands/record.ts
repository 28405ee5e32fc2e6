/**
 * `mqx record FILTER... -o FILE`: write every message to FILE, one JSON line each, until Ctrl-C,
 * -C COUNT or --duration; then print the totals. `mqx replay FILE` publishes them again.
 */
import { createWriteStream } from 'node:fs';
import type { Argv, CommandModule, Options } from 'yargs';
import { Client } from '../src/client/client.js';
import { ConnectionError, UsageError } from '../src/errors.js';
import type { SubscriptionRequest } from '../src/protocol/types.js';
import { formatRecordTotals, startRecording } from '../src/record/recorder.js';
import { validateTopicFilter } from '../src/topics/validate.js';
import { connectWithFeedback } from './shared/connect.js';
import {
  type ConnectionArgv,
  connectionFlags,
  parseQos,
  resolveConnection,
} from './shared/connection-flags.js';
import { counter, onInterrupt } from './shared/interrupt.js';

interface RecordArgv extends ConnectionArgv {
  filters?: string[];
  topic?: string | string[];
  output?: string;
  qos?: number;
  count?: number;
  duration?: number;
}

const RECORD_OPTIONS = {
  topic: { alias: 't', type: 'string', describe: 'topic filter; repeatable' },
  output: { alias: 'o', type: 'string', describe: 'the recording (JSON lines); - for stdout' },
  qos: {
    alias: 'q',
    type: 'number',
    describe: 'QoS of the subscriptions (a message keeps up to it)',
    default: 2,
  },
  count: { alias: 'C', type: 'number', describe: 'stop after COUNT messages' },
  duration: { type: 'number', describe: 'stop after SECONDS' },
} satisfies Record<string, Options>;

function builder(y: Argv) {
  return connectionFlags(y)
    .usage('$0 record <filter..> -o FILE [options]\n\nRecord messages to a file, one JSON line each.')
    .positional('filters', { type: 'string', array: true, describe: 'topic filters (or -t)' })
    .options(RECORD_OPTIONS)
    .example("$0 record 'plant/#' -o plant.jsonl", 'until Ctrl-C')
    .example("$0 record '#' -V 5 -o all.jsonl --duration 60", 'one minute, with MQTT 5 properties');
}

function requests(argv: RecordArgv): SubscriptionRequest[] {
  const flags = argv.topic === undefined ? [] : Array.isArray(argv.topic) ? argv.topic : [argv.topic];
  const filters = [...(argv.filters ?? []), ...flags].map(String);
  if (filters.length === 0) throw new UsageError('no topic filter: give one as an argument or with -t');
  const qos = parseQos(argv.qos ?? 2);
  return filters.map((topicFilter) => {
    const problem = validateTopicFilter(topicFilter);
    if (problem) throw new UsageError(problem);
    return { topicFilter, qos };
  });
}

async function handler(argv: RecordArgv): Promise<void> {
  const connection = await resolveConnection(argv);
  const subscriptions = requests(argv);
  if (argv.output === undefined) throw new UsageError('-o FILE is required (- for stdout)');
  const count = argv.count;
  if (count !== undefined && (!Number.isInteger(count) || count < 1))
    throw new UsageError('-C must be a positive integer');
  const duration = argv.duration;
  if (duration !== undefined && !(duration > 0))
    throw new UsageError('--duration must be a positive number of seconds');

  const file = argv.output === '-' ? 'stdout' : argv.output;
  const out: NodeJS.WritableStream = argv.output === '-' ? process.stdout : createWriteStream(argv.output);
  const opened = new Promise<void>((resolve, reject) => {
    if (out === process.stdout) return resolve();
    out.once('open', () => resolve());
    out.once('error', (err: NodeJS.ErrnoException) =>
      reject(new UsageError(`cannot write ${file}: ${err.code ?? err.message}`)),
    );
  });
  await opened;
  const close = () => (out === process.stdout ? Promise.resolve() : new Promise<void>((r) => out.end(r)));

  const client = new Client(connection.options);
  const messages = counter();
  let report: () => void = () => undefined;
  const interrupt = onInterrupt(messages, 'recorded', async () => {
    await client.end({ timeoutMs: 200 });
    await close();
    report();
  });
  try {
    await interrupt.guard(connectWithFeedback(client, connection.debug));
    const recording = await interrupt.guard(
      startRecording(client, subscriptions, (line) => out.write(line), count),
    );
    report = () => process.stderr.write(`${formatRecordTotals(recording.totals, file)}\n`);
    process.stderr.write(`recording ${subscriptions.map((s) => s.topicFilter).join(' ')} to ${file}\n`);
    let timer: NodeJS.Timeout | undefined;
    const stops: Promise<void>[] = [
      recording.reachedLimit,
      new Promise((_, reject) =>
        client.on('close', (err) => reject(err ?? new ConnectionError('connection closed'))),
      ),
    ];
    if (duration !== undefined) stops.push(new Promise((r) => (timer = setTimeout(r, duration * 1000))));
    try {
      await interrupt.guard(Promise.race(stops));
    } finally {
      clearTimeout(timer);
    }
    recording.stop();
    await client.end({ timeoutMs: 2_000 });
    await close();
    report();
  } catch (err) {
    client.destroy();
    await close();
    throw err;
  } finally {
    interrupt.dispose();
  }
}

const command: CommandModule = {
  command: 'record [filters..]',
  describe: 'record messages to a file, one JSON line each (mqx replay plays it back)',
  builder: builder as CommandModule['builder'],
  handler: (argv) => handler(argv as unknown as RecordArgv),
};

export default command;
