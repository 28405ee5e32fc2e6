/**
 * The way past yargs for the hot commands (pub, sub, broker, bridge). Loading yargs and letting it
 * render its help text took about 150 ms and 7 MB before a handler ran; node:util's parseArgs
 * costs next to nothing. parseFast reads the flag table a command's yargs builder declares and
 * returns the very argv object yargs would hand the handler (aliases, camelCase keys, defaults,
 * `_` and `$0` included), or undefined as soon as the command line holds anything whose yargs
 * meaning it does not reproduce exactly. The caller then runs yargs, which parses that command
 * line or prints its usual error: help, usage errors and their exit code stay yargs's own.
 * test/commands/fast-args.test.ts holds the two parsers to the same result.
 */
import { parseArgs } from 'node:util';
import type { Options, ParserConfigurationOptions } from 'yargs';

/** A command's flags, declared once for its yargs builder and for parseFast. */
export interface CommandFlags {
  options: Readonly<Record<string, Options>>;
  /** What the builder passes to yargs's parserConfiguration(), if anything. */
  parserConfiguration?: Partial<ParserConfigurationOptions>;
}

export interface ParsedArgv {
  [key: string]: unknown;
  _: string[];
  $0: string;
}

/** The script name src/yargs-program.ts gives yargs, which yargs puts in every argv. */
const SCRIPT_NAME = 'mqx';

/**
 * The option properties reproduced here. A table using any other (coerce, count, nargs, implies,
 * demandOption...) always goes to yargs.
 */
const UNDERSTOOD = new Set([
  'alias',
  'type',
  'array',
  'default',
  'choices',
  'conflicts',
  'describe',
  'group',
  'defaultDescription',
]);

/** The yargs parser settings reproduced here (when a command sets any). */
const SETTINGS = new Set(['greedy-arrays', 'boolean-negation']);

/** Names whose yargs camelCase alias is plain dash removal. */
const NAME = /^(?:[a-zA-Z]|[a-z0-9]+(?:-[a-z0-9]+)*)$/;

/** yargs turns a number flag's value into Number(value); in these spellings nothing else can differ. */
const NUMBER = /^\d+(?:\.\d+)?$/;

interface Flag {
  key: string;
  spec: Options;
  /** Every key yargs sets for this flag: the name, its aliases and their camelCase forms. */
  names: string[];
}

type ParseArgsOption = { type: 'string' | 'boolean'; multiple: true; short?: string };

interface Table {
  flags: Map<string, Flag>;
  spellings: Map<string, Flag>;
  /** parseArgs's view: every spelling an option of its own, so that tokens name what was typed. */
  options: Record<string, ParseArgsOption>;
  greedyArrays: boolean;
}

function aliases(spec: Options): string[] {
  return spec.alias === undefined ? [] : typeof spec.alias === 'string' ? [spec.alias] : [...spec.alias];
}

/** The table parseFast works from, or null when the flags use something it does not reproduce. */
function table(command: CommandFlags): Table | null {
  const config = command.parserConfiguration ?? {};
  if (Object.keys(config).some((k) => !SETTINGS.has(k))) return null;
  const negation = config['boolean-negation'] ?? true;
  const flags = new Map<string, Flag>();
  const spellings = new Map<string, Flag>();
  const options: Record<string, ParseArgsOption> = {};
  for (const [key, spec] of Object.entries(command.options)) {
    if (Object.keys(spec).some((p) => !UNDERSTOOD.has(p))) return null;
    if (spec.type !== 'string' && spec.type !== 'number' && spec.type !== 'boolean') return null;
    if (spec.array && spec.type === 'boolean') return null;
    if (spec.conflicts !== undefined && typeof spec.conflicts !== 'string' && !Array.isArray(spec.conflicts))
      return null;
    const typed = [key, ...aliases(spec)];
    if (typed.some((n) => !NAME.test(n) || spellings.has(n))) return null;
    // With negation on, yargs reads a flag named no-x as x negated.
    if (negation && typed.some((n) => n.startsWith('no-'))) return null;
    const camel = typed
      .filter((n) => n.includes('-'))
      .map((n) => n.replace(/-(.)/g, (_, c: string) => c.toUpperCase()));
    const flag = { key, spec, names: [...typed, ...camel] };
    flags.set(key, flag);
    for (const n of typed) {
      spellings.set(n, flag);
      options[n] = {
        type: spec.type === 'boolean' ? 'boolean' : 'string',
        multiple: true,
        ...(n.length === 1 ? { short: n } : {}),
      };
    }
  }
  return { flags, spellings, options, greedyArrays: config['greedy-arrays'] ?? true };
}

/** A value as yargs would store it, or undefined where yargs might read it otherwise. */
function convert(spec: Options, value: string): string | number | undefined {
  if (value.startsWith('-')) return undefined;
  if (spec.type === 'number') return NUMBER.test(value) ? Number(value) : undefined;
  return value;
}

/** The variadic positional of a command such as `pub [topics..]`; null for a shape not reproduced. */
function positionalOf(words: string[]): string | undefined | null {
  if (words.length === 0) return undefined;
  const m = words.length === 1 ? /^\[(\w+)\.\.\]$/.exec(words[0]!) : null;
  return m ? m[1]! : null;
}

/**
 * `args` is the command line after the program name (`pub -t a -m x`); `command` the module's
 * yargs command string (`pub [topics..]`).
 */
export function parseFast(
  args: readonly string[],
  command: string,
  declared: CommandFlags,
): ParsedArgv | undefined {
  const [name, ...words] = command.split(' ');
  const positional = positionalOf(words);
  const t = table(declared);
  if (args[0] !== name || positional === null || t === null) return undefined;
  const rest = args.slice(1);

  let tokens: ReturnType<typeof parseArgs>['tokens'];
  try {
    ({ tokens } = parseArgs({
      args: rest,
      options: t.options,
      strict: true,
      allowPositionals: true,
      tokens: true,
    }));
  } catch {
    return undefined;
  }

  const given = new Map<string, unknown>();
  /** Single-value flags given as --name=value: a repeat of those goes to yargs too. */
  const inline = new Set<string>();
  const positionals: string[] = [];
  let greedy: Flag | undefined;
  for (const [i, token] of tokens.entries()) {
    if (token.kind === 'option-terminator') return undefined;
    if (token.kind === 'positional') {
      if (greedy) {
        const value = convert(greedy.spec, token.value);
        if (value === undefined) return undefined;
        (given.get(greedy.key) as unknown[]).push(value);
      } else {
        // yargs shows help for a positional `help`, and reads a lone `-` by rules of its own.
        if (token.value === 'help' || token.value.startsWith('-')) return undefined;
        positionals.push(token.value);
      }
      continue;
    }
    const flag = t.spellings.get(token.name)!;
    // Only `-x`, `--name` and `--name=value` as whole words: yargs reads -abc, -xVALUE and --x its own way.
    if (token.rawName !== `${token.name.length === 1 ? '-' : '--'}${token.name}`) return undefined;
    const word = rest[token.index];
    if (word !== (token.inlineValue ? `${token.rawName}=${token.value}` : token.rawName)) return undefined;
    greedy = undefined;
    if (flag.spec.type === 'boolean') {
      // yargs takes a `true` or `false` after a boolean flag as its value.
      const next = tokens[i + 1];
      if (next?.kind === 'positional' && (next.value === 'true' || next.value === 'false')) return undefined;
      given.set(flag.key, true);
      continue;
    }
    // yargs strips the quotes around a --name='value', and reads an array's empty --name= as no value.
    if (token.inlineValue && (/^['"]/.test(token.value ?? '') || (flag.spec.array && token.value === '')))
      return undefined;
    const value = convert(flag.spec, token.value ?? '');
    if (value === undefined) return undefined;
    // yargs merges some repeats of a single-value flag its own way (--count 1883 --count 1 gives 1884).
    if (
      !flag.spec.array &&
      given.has(flag.key) &&
      (flag.spec.type === 'number' || token.inlineValue || inline.has(flag.key))
    )
      return undefined;
    if (token.inlineValue) inline.add(flag.key);
    const before = given.get(flag.key);
    if (flag.spec.array) {
      given.set(flag.key, [...((before as unknown[] | undefined) ?? []), value]);
      if (t.greedyArrays) greedy = flag;
    } else {
      // A repeated flag becomes an array of its values, as yargs's duplicate-arguments-array.
      given.set(
        flag.key,
        before === undefined ? value : [...(Array.isArray(before) ? before : [before]), value],
      );
    }
  }
  if (positionals.length > 0 && positional === undefined) return undefined;

  const argv: ParsedArgv = { _: [name!], $0: SCRIPT_NAME };
  for (const { key, spec, names } of t.flags.values()) {
    const value = given.has(key)
      ? given.get(key)
      : Array.isArray(spec.default)
        ? [...spec.default]
        : spec.default;
    if (value !== undefined) for (const n of names) argv[n] = value;
  }
  if (positional !== undefined) argv[positional] = positionals;
  // yargs's own checks, made on the same argv (defaults included): any failure is its to report.
  for (const { key, spec } of t.flags.values()) {
    const value = argv[key];
    if (value === undefined) continue;
    if (spec.choices && ![value].flat().every((v) => (spec.choices as unknown[]).includes(v)))
      return undefined;
    const conflicts = spec.conflicts === undefined ? [] : [spec.conflicts as string | string[]].flat();
    if (conflicts.some((other) => argv[other] !== undefined)) return undefined;
  }
  return argv;
}
