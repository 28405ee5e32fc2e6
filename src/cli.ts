import type { CommandModule } from 'yargs';
import { type CommandFlags, parseFast } from '../commands/shared/fast-args.js';
import { ExitCode, isMqxError } from './errors.js';

/**
 * The composition root. It names the command modules and imports only the one being run, so
 * `mqx pub` never loads the broker (or better-sqlite3, ws, cosmiconfig) and starts fast. A command
 * that exports its flag table gets a command line that table parses exactly (the common case)
 * straight to its handler; anything else (--help, --version, a usage error, the other commands)
 * goes through the yargs program, loaded only then.
 */
interface Loaded {
  default: object;
  flags?: CommandFlags;
}
type Loader = () => Promise<Loaded>;

const COMMANDS: Record<string, Loader> = {
  broker: () => import('../commands/broker.js'),
  bridge: () => import('../commands/bridge.js'),
  pub: () => import('../commands/pub.js'),
  sub: () => import('../commands/sub.js'),
  completion: () => import('../commands/completion.js'),
  passwd: () => import('../commands/passwd.js'),
  bench: () => import('../commands/bench.js'),
  explore: () => import('../commands/explore.js'),
  rr: () => import('../commands/rr.js'),
  record: () => import('../commands/record.js'),
  replay: () => import('../commands/replay.js'),
  test: () => import('../commands/test.js'),
  up: () => import('../commands/up.js'),
  ctl: () => import('../commands/ctl.js'),
};

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

/**
 * An error no command expected: a short line, and the stack only when asked for (--debug, or
 * MQX_DEBUG=1 for the commands that have no --debug), so no user meets a trace by surprise.
 */
function failUnexpected(err: unknown): never {
  const debug = process.argv.includes('--debug') || process.env.MQX_DEBUG === '1';
  if (debug && err instanceof Error && err.stack) fail(err.stack, ExitCode.Failure);
  const message = err instanceof Error ? err.message : String(err);
  fail(`internal error: ${message} (run again with --debug or MQX_DEBUG=1 for details)`, ExitCode.Failure);
}

/** `argv` is the command line after `mqx`, as yargs's hideBin gives it without importing yargs. */
export async function main(argv: string[] = process.argv.slice(2)): Promise<void> {
  const first = argv[0];
  const load = first !== undefined && Object.hasOwn(COMMANDS, first) ? COMMANDS[first] : undefined;
  if (load) {
    const module = await load();
    const command = module.default as CommandModule;
    const parsed = module.flags && parseFast(argv, String(command.command), module.flags);
    // A handler's errors reach the catch below, which reports them as yargs's .fail() does.
    if (parsed) return command.handler(parsed);
  }
  const { yargsProgram } = await import('./yargs-program.js');
  await yargsProgram(argv, await loadCommands(argv))
    .fail((msg, err) => {
      if (isMqxError(err)) fail(err.message, err.exitCode);
      if (err) failUnexpected(err);
      const help = load ? `mqx ${first} --help` : 'mqx --help';
      fail(`${msg}\nRun '${help}' for usage.`, ExitCode.Usage);
    })
    .parseAsync();
}

main().catch((err: unknown) => {
  if (isMqxError(err)) fail(err.message, err.exitCode);
  failUnexpected(err);
});
