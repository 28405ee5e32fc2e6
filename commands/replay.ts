/**
 * `mqx replay FILE`: publish a recording of `mqx record` again, with the original spacing
 * (--speed X, --as-fast-as-possible), once or --loop, optionally under --topic-prefix.
 */
import { existsSync } from 'node:fs';
import type { Argv, CommandModule, Options } from 'yargs';
import { Client } from '../src/client/client.js';
import { UsageError } from '../src/errors.js';
import { formatReplayTotals, type ReplayTotals, readRecording, replay } from '../src/record/replayer.js';
import { validateTopicName } from '../src/topics/validate.js';
import { connectWithFeedback } from './shared/connect.js';
import { type ConnectionArgv, connectionFlags, resolveConnection } from './shared/connection-flags.js';
import { onInterrupt } from './shared/interrupt.js';

interface ReplayArgv extends ConnectionArgv {
  file?: string;
  speed?: number;
  'as-fast-as-possible'?: boolean;
  loop?: boolean;
  'topic-prefix'?: string;
}

const REPLAY_OPTIONS = {
  speed: { type: 'number', describe: 'play X times as fast (0.5: half speed)', defaultDescription: '1' },
  'as-fast-as-possible': { type: 'boolean', describe: 'no waiting between messages' },
  loop: { type: 'boolean', describe: 'start again at the end, until Ctrl-C' },
  'topic-prefix': { type: 'string', describe: "publish to PREFIX + the recorded topic ('replay/')" },
} satisfies Record<string, Options>;

function builder(y: Argv) {
  return connectionFlags(y)
    .usage('$0 replay <file> [options]\n\nPublish a recording of mqx record again.')
    .positional('file', { type: 'string', describe: 'a recording (JSON lines)' })
    .options(REPLAY_OPTIONS)
    .example('$0 replay plant.jsonl --speed 10', 'ten times as fast')
    .example("$0 replay plant.jsonl --loop --topic-prefix 'test/'", 'a test feed under test/');
}

async function handler(argv: ReplayArgv): Promise<void> {
  const connection = await resolveConnection(argv);
  const file = argv.file;
  if (file === undefined) throw new UsageError('no recording: give the file as an argument');
  if (!existsSync(file)) throw new UsageError(`cannot read ${file}: ENOENT`);
  if (argv['as-fast-as-possible'] && argv.speed !== undefined)
    throw new UsageError('--speed and --as-fast-as-possible contradict each other');
  const speed = argv['as-fast-as-possible'] ? Number.POSITIVE_INFINITY : (argv.speed ?? 1);
  if (!(speed > 0)) throw new UsageError('--speed must be a positive number');
  const topicPrefix = argv['topic-prefix'] ?? '';
  if (topicPrefix !== '') {
    const problem = validateTopicName(`${topicPrefix}x`);
    if (problem) throw new UsageError(`--topic-prefix: ${problem}`);
  }
  // Read once before connecting: a malformed line is a usage error (FILE:LINE), not half a replay.
  for await (const _ of readRecording(file));

  const client = new Client(connection.options);
  const totals: ReplayTotals = { messages: 0, passes: 0, startedMs: Date.now() };
  const report = () => process.stderr.write(`${formatReplayTotals(totals)}\n`);
  const count = {
    get count() {
      return totals.messages;
    },
    started: totals.startedMs,
  };
  const interrupt = onInterrupt(count, 'replayed', async () => {
    await client.end({ timeoutMs: 200 });
    report();
  });
  try {
    await interrupt.guard(connectWithFeedback(client, connection.debug));
    totals.startedMs = Date.now();
    await interrupt.guard(
      replay(client, () => readRecording(file), { speed, loop: argv.loop ?? false, topicPrefix }, totals),
    );
    await client.end({ timeoutMs: 10_000 });
    report();
  } catch (err) {
    client.destroy();
    throw err;
  } finally {
    interrupt.dispose();
  }
}

const command: CommandModule = {
  command: 'replay <file>',
  describe: 'publish a recording of mqx record again, with its original spacing',
  builder: builder as CommandModule['builder'],
  handler: (argv) => handler(argv as unknown as ReplayArgv),
};

export default command;
