import type { Argv, CommandModule } from 'yargs';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { ExitCode, MqxError } from './errors.js';
import { VERSION } from './version.js';

/**
 * The composition root. It names the command modules and imports only the one being run, so
 * `mqx pub` never loads the broker (or better-sqlite3, ws, cosmiconfig) and starts fast.
 */
type Loader = () => Promise<{ default: object }>;

const COMMANDS: Record<string, Loader> = {
  broker: () => import('../commands/broker.js'),
  bridge: () => import('../commands/bridge.js'),
  pub: () => import('../commands/pub.js'),
  sub: () => import('../commands/sub.js'),
  completion: () => import('../commands/completion.js'),
  passwd: () => import('../commands/passwd.js'),
  bench: () => import('../commands/bench.js'),
};

export const EXIT_CODES_HELP = `Exit codes:
  0    success
  1    unexpected failure
  2    usage error: bad flag, argument, input file or config
  3    connection failed, or lost with reconnecting off
  4    refused by the broker (CONNACK reason code on stderr)
  5    timeout (-W, --connect-timeout)
  6    publish or subscription rejected by the broker (reason code >= 0x80, SUBACK failure)
  130  interrupted (SIGINT)`;

async function loadCommands(argv: string[]): Promise<CommandModule[]> {
  const first = argv.find((a) => !a.startsWith('-'));
  const only = first !== undefined ? COMMANDS[first] : undefined;
  const loaders = only ? [only] : Object.values(COMMANDS);
  // Each module's own argument type is checked where it is written; here they are all just commands.
  return Promise.all(loaders.map(async (load) => (await load()).default as CommandModule));
}

function fail(message: string, exitCode: number): never {
  process.stderr.write(`mqx: ${message}\n`);
  process.exit(exitCode);
}

export async function main(argv: string[] = hideBin(process.argv)): Promise<void> {
  const commands = await loadCommands(argv);
  let program: Argv = yargs(argv)
    .scriptName('mqx')
    .usage(
      '$0 <command> [options]\n\nOne MQTT toolkit: broker, bridge, pub, sub and bench for MQTT 3.1, 3.1.1 and 5.0.',
    )
    .epilogue(EXIT_CODES_HELP)
    .strict()
    .demandCommand(1, 'name a command: mqx <command> --help')
    .recommendCommands()
    .help()
    .version(VERSION)
    .wrap(Math.min(110, process.stdout.columns || 110))
    .fail((msg, err) => {
      if (err instanceof MqxError) fail(err.message, err.exitCode);
      if (err) fail(err.stack ?? String(err), ExitCode.Failure);
      fail(`${msg}\nRun 'mqx --help' for usage.`, ExitCode.Usage);
    });
  for (const command of commands) program = program.command(command);
  await program.parseAsync();
}

main().catch((err: unknown) => {
  if (err instanceof MqxError) fail(err.message, err.exitCode);
  fail(err instanceof Error ? (err.stack ?? err.message) : String(err), ExitCode.Failure);
});
