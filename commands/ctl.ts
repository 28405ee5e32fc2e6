import { readFile } from 'node:fs/promises';
import type { ArgumentsCamelCase, Argv, CommandModule, Options } from 'yargs';
import { ACTIONS, runCtl } from '../src/ctl/run.js';
import { UsageError } from '../src/errors.js';

interface CtlArgs {
  action: string;
  args?: string[];
  url?: string;
  username?: string;
  password?: string;
  'password-file'?: string;
  json: boolean;
  'dry-run': boolean;
  topic?: string;
  message?: string;
  qos: number;
  retain: boolean;
  timeout: number;
}

const CTL_OPTIONS = {
  url: {
    type: 'string',
    describe:
      "The broker's admin listener (mqx broker --http), also from MQX_URL [default: http://127.0.0.1:8080]",
  },
  username: {
    alias: 'u',
    type: 'string',
    describe: 'HTTP Basic user (password file), also from MQX_USERNAME',
  },
  password: { alias: 'P', type: 'string', describe: 'Its password, also from MQX_PASSWORD' },
  'password-file': { type: 'string', describe: 'Read the password from a file (first line)' },
  json: { type: 'boolean', default: false, describe: "Print the API's JSON answer, for scripts" },
  'dry-run': { type: 'boolean', default: false, describe: 'retained rm: list what would be deleted' },
  topic: { alias: 't', type: 'string', describe: 'publish: the topic' },
  message: { alias: 'm', type: 'string', describe: 'publish: the payload' },
  qos: { alias: 'q', type: 'number', default: 0, describe: 'publish: QoS 0, 1 or 2' },
  retain: { alias: 'r', type: 'boolean', default: false, describe: 'publish: retained' },
  timeout: { type: 'number', default: 10, describe: 'Seconds to wait for an answer' },
} satisfies Record<string, Options>;

async function firstLine(file: string): Promise<string> {
  try {
    return (await readFile(file, 'utf8')).split(/\r?\n/)[0]!;
  } catch (err) {
    throw new UsageError(
      `cannot read --password-file ${file}: ${(err as NodeJS.ErrnoException).code ?? err}`,
    );
  }
}

const command: CommandModule<object, CtlArgs> = {
  command: 'ctl <action> [args..]',
  describe: 'Query and steer a running mqx broker through its admin API (mqx broker --http)',
  builder: (y: Argv) =>
    y
      .positional('action', { type: 'string', choices: ACTIONS, describe: 'What to do' })
      .positional('args', { type: 'string', array: true, describe: 'ID, FILTER, or rm FILTER' })
      .options(CTL_OPTIONS)
      .example('$0 ctl clients', 'list clients (a table on a terminal, tab-separated otherwise)')
      .example('$0 ctl kick sensor-7', 'disconnect a client')
      .example("$0 ctl retained rm 'lab/#' --dry-run", 'list the retained messages that would be deleted')
      .example(
        '$0 ctl publish -t lab/cmd -m reset --url http://10.0.0.5:8080 -u admin',
        'publish through the API',
      )
      .example('$0 ctl clients --json | jq .clients[].id', 'for scripts') as Argv<CtlArgs>,
  handler: async (argv: ArgumentsCamelCase<CtlArgs>) => {
    const env = process.env;
    const password =
      argv.password ??
      (argv['password-file'] !== undefined ? await firstLine(argv['password-file']) : env.MQX_PASSWORD);
    if (argv.qos !== 0 && argv.qos !== 1 && argv.qos !== 2)
      throw new UsageError(`--qos expects 0, 1 or 2, got ${argv.qos}`);
    if (!(argv.timeout > 0)) throw new UsageError(`--timeout expects a positive number of seconds`);
    await runCtl(
      {
        url: argv.url ?? env.MQX_URL ?? 'http://127.0.0.1:8080',
        username: argv.username ?? env.MQX_USERNAME,
        password,
        timeoutMs: argv.timeout * 1000,
      },
      {
        action: argv.action,
        args: (argv.args ?? []).map(String),
        json: argv.json,
        dryRun: argv['dry-run'],
        topic: argv.topic,
        message: argv.message,
        qos: argv.qos,
        retain: argv.retain,
      },
      { write: (text) => process.stdout.write(text), isTTY: process.stdout.isTTY === true },
    );
  },
};

export default command;
