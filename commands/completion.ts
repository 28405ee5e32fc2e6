/**
 * `mqx completion bash|zsh|fish` prints a completion script. The flag lists come from the command
 * modules' own yargs builders, so they cannot drift; completions/ holds the same scripts, kept in
 * sync by test/commands/completion.test.ts.
 */
import type { Argv, CommandModule } from 'yargs';
import yargs from 'yargs';
import { UsageError } from '../src/errors.js';
import { type CompletionCommand, completionScript, SHELLS, type Shell } from '../src/output/completion.js';

/** Every command mqx ships; one that does not load yet (being written) is left out. */
const NAMES = [
  'bench',
  'bridge',
  'broker',
  'completion',
  'ctl',
  'explore',
  'passwd',
  'pub',
  'record',
  'replay',
  'rr',
  'sub',
  'test',
  'up',
];

async function describeCommand(name: string): Promise<CompletionCommand | undefined> {
  let module: CommandModule;
  try {
    module =
      name === 'completion'
        ? command
        : ((await import(`./${name}.js`)) as { default: CommandModule }).default;
  } catch {
    return undefined;
  }
  let y = yargs([]) as Argv;
  if (typeof module.builder === 'function') y = (module.builder(y) as Argv | undefined) ?? y;
  else if (module.builder) y = y.options(module.builder);
  const { key, alias } = (y as unknown as { getOptions(): unknown }).getOptions() as {
    key: Record<string, unknown>;
    alias: Record<string, string[]>;
  };
  // Positionals (`pub [topics..]`) show up among the options but are not flags.
  const positionals = new Set([...String(module.command ?? '').matchAll(/[[<]([\w-]+)/g)].map((m) => m[1]));
  const spellings = new Set<string>();
  for (const k of Object.keys(key)) {
    if (k === 'help' || k === 'version' || positionals.has(k)) continue;
    spellings.add(k.length === 1 ? `-${k}` : `--${k}`);
    for (const a of alias[k] ?? []) {
      // yargs adds camelCase aliases of dashed names; users type the dashed ones.
      if (/[A-Z]/.test(a) && a.length > 1) continue;
      spellings.add(a.length === 1 ? `-${a}` : `--${a}`);
    }
  }
  return { name, describe: String(module.describe || name), flags: [...spellings].sort() };
}

export async function generateCompletion(shell: Shell): Promise<string> {
  const commands = (await Promise.all(NAMES.map(describeCommand))).filter(
    (c): c is CompletionCommand => c !== undefined,
  );
  return completionScript(shell, commands);
}

const command: CommandModule = {
  command: 'completion <shell>',
  describe: 'print a shell completion script (bash, zsh, fish)',
  builder: (y: Argv) =>
    y
      .positional('shell', { type: 'string', choices: SHELLS, describe: 'bash, zsh or fish' })
      .example('source <(mqx completion bash)', ''),
  handler: async (argv) => {
    const shell = String(argv.shell);
    if (!SHELLS.includes(shell as Shell))
      throw new UsageError(`unknown shell "${shell}": use bash, zsh or fish`);
    process.stdout.write(await generateCompletion(shell as Shell));
  },
};

export default command;
