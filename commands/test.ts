/**
 * `mqx test`: probe a broker and print what it supports, each with how it was found (src/probe).
 * Exit 0 when it connected with some protocol version, 3 when it could not, 4 when refused.
 */
import type { Argv, CommandModule, Options } from 'yargs';
import { UsageError } from '../src/errors.js';
import { loadColours } from '../src/output/colours.js';
import { probeBroker } from '../src/probe/probe.js';
import { formatTable } from '../src/probe/report.js';
import { type ConnectionArgv, connectionFlags, resolveConnection } from './shared/connection-flags.js';

interface TestArgv extends ConnectionArgv {
  json?: boolean;
  timeout?: number;
  'max-payload'?: number;
}

const TEST_OPTIONS = {
  json: { type: 'boolean', describe: 'print the report as one JSON object' },
  timeout: { alias: 'W', type: 'number', describe: 'time budget of the probe, seconds', default: 30 },
  'max-payload': {
    type: 'number',
    describe: 'largest payload to try, bytes',
    default: 1024 * 1024,
  },
} satisfies Record<string, Options>;

function builder(y: Argv) {
  return connectionFlags(y)
    .usage('$0 test [-h HOST -p PORT ...]\n\nProbe a broker and report what it supports.')
    .options(TEST_OPTIONS)
    .example('$0 test -h broker.local', 'a table')
    .example('$0 test -h broker.local --json | jq .maxQos', 'for scripts');
}

async function handler(argv: TestArgv): Promise<void> {
  const connection = await resolveConnection(argv);
  const budget = argv.timeout ?? 30;
  if (!(budget > 0)) throw new UsageError('-W must be a positive number of seconds');
  const cap = argv['max-payload'] ?? 1024 * 1024;
  if (!Number.isInteger(cap) || cap < 1) throw new UsageError('--max-payload must be a positive integer');
  const tty = process.stderr.isTTY && !argv.json;
  const report = await probeBroker({
    client: connection.options,
    budgetMs: budget * 1000,
    payloadCap: cap,
    ...(tty ? { log: (line: string) => process.stderr.write(`\r\x1b[K${line}`) } : {}),
  });
  if (tty) process.stderr.write('\r\x1b[K');
  if (argv.json) {
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return;
  }
  const chalk = await loadColours(process.stdout);
  process.stdout.write(formatTable(report, chalk ? (s) => chalk.bold(s) : undefined));
}

const command: CommandModule = {
  command: 'test',
  describe: 'probe a broker: protocol versions, QoS, retain, limits... each with how it was found',
  builder: builder as CommandModule['builder'],
  handler: (argv) => handler(argv as unknown as TestArgv),
};

export default command;
