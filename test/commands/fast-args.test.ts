/**
 * parseFast must hand a handler exactly the argv yargs would, or decline. Every comparison runs
 * the real yargs program (src/yargs-program.ts) with the real command module, its handler
 * swapped for one that records the argv.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CommandModule } from 'yargs';
import * as bridge from '../../commands/bridge.js';
import * as broker from '../../commands/broker.js';
import * as pub from '../../commands/pub.js';
import { type CommandFlags, parseFast } from '../../commands/shared/fast-args.js';
import * as sub from '../../commands/sub.js';
import { yargsProgram } from '../../src/yargs-program.js';

interface Hot {
  default: object;
  flags: CommandFlags;
}

const HOT: Record<string, Hot> = { pub, sub, broker, bridge };

function fast(argv: string[]) {
  const module = HOT[argv[0]!]!;
  return parseFast(argv, String((module.default as CommandModule).command), module.flags);
}

async function viaYargs(argv: string[]): Promise<Record<string, unknown>> {
  let seen: Record<string, unknown> | undefined;
  const command = {
    ...(HOT[argv[0]!]!.default as CommandModule),
    handler: (a: Record<string, unknown>) => {
      seen = a;
    },
  };
  await yargsProgram(argv, [command])
    .fail((msg, err) => {
      throw err ?? new Error(msg);
    })
    .parseAsync();
  if (!seen) throw new Error(`yargs ran no handler for ${JSON.stringify(argv)}`);
  return seen;
}

async function expectSame(argv: string[]): Promise<void> {
  const parsed = fast(argv);
  expect(parsed, JSON.stringify(argv)).toBeDefined();
  expect(parsed, JSON.stringify(argv)).toStrictEqual(await viaYargs(argv));
}

describe('parseFast', () => {
  it.each(
    [
      ['pub', '-t', 't', '-m', 'x'],
      [
        'pub',
        '-h',
        '127.0.0.1',
        '-p',
        '1883',
        '-t',
        'a',
        '-t',
        'b',
        '--topic',
        'c',
        '-m',
        '1',
        '-q',
        '1',
        '-r',
      ],
      ['pub', 'srv/temperature', '-m', 'temperature: 23', '--qos=2', '--retain'],
      ['pub', '-V', '5', '-D', 'publish', 'user-property', 'k', 'v', 'leftover', '-m', 'x'],
      [
        'pub',
        '-D',
        'publish',
        'user-property',
        'a',
        'b',
        '-D',
        'connect',
        'session-expiry-interval',
        '9',
        '-V',
        '5',
      ],
      ['pub', '-c', '-i', 'me', '-k', '0', '-t', 't', '-n'],
      ['pub', '--no-clean', '-x', '60', '--id-prefix', 'p-', '-t', 't', '-l'],
      ['pub', '-t', 't', '-m', '', '--repeat', '3', '--interval', '0.5'],
      ['pub', '-t', 't', '-m', 'x', '--repeat-delay', '2', '-m', 'y'],
      ['pub', 'sensors/%i/temp', '--simulate', 'auto', '--format', 'json', '--count', '2', '--seed', '7'],
      ['pub', '-L', 'mqtts://u:p@host/t', '--cafile', 'ca.pem', '--insecure', '-m', 'x', '-d'],
      [
        'pub',
        '--will-topic',
        'w',
        '--will-payload',
        'bye',
        '--will-qos',
        '1',
        '--will-retain',
        '-t',
        't',
        '-s',
      ],
      ['pub', '--profile', 'lab', '--connect-timeout', '5', '--reconnect', '--reconnect-max-delay', '3', 't'],
      ['pub'],
      ['sub', 'a/#', '-v'],
      ['sub', '-t', 'a', '-t', 'b:1', '-C', '1', '-W', '5', '-E', '-q', '2'],
      ['sub', 'a', '--json', '--pretty', '--output', 'out.log'],
      ['sub', 'a', '-F', '%t %p', '-N', '-R', '-T', 'a/x', '-T', 'a/y', '-U', 'a'],
      ['sub', 'a', '--no-local', '--retain-as-published', '--retain-handling', '2', '-V', '5'],
      ['sub', 'a', 'b', '--retained-only', '--remove-retained', '-u', 'user', '-P', 'secret'],
      ['broker'],
      ['broker', '-p', '0'],
      ['broker', '-p', '1883', '-p', '1884'],
      ['broker', '-p', '1883', '1884', '--port=1885'],
      ['broker', '-c', '/etc/mosquitto/mosquitto.conf', '-v'],
      ['broker', '--check', '-d', '--persistence', '/var/lib/mqx'],
      ['bridge', '--remote', 'mqtt://central:1884', '--topic', 'srv/# out 2'],
      ['bridge', '-r', 'mqtt://a', 'mqtt://b', '-t', 'x in', 'y out 1', '--name', 'n', '--keepalive', '30'],
      [
        'bridge',
        '--restart-timeout',
        '1',
        '10',
        '--protocol-version',
        'mqttv50',
        '--cleansession',
        '-r',
        'mqtt://a',
      ],
      ['bridge', '-c', 'bridges.conf', '-l', 'mqtt://localhost:1885', '--try-private', '--notifications'],
    ].map((argv) => [argv.join(' '), argv] as const),
  )('parses `%s` as yargs does', async (_, argv) => {
    await expectSame(argv);
  });

  it.each([
    ['help flag', ['pub', '-t', 't', '--help']],
    ['help positional', ['pub', 'help', '-m', 'x']],
    ['version', ['sub', '--version']],
    ['unknown flag', ['pub', '-t', 't', '--bogus']],
    ['camelCase spelling', ['pub', '-t', 't', '--nullMessage']],
    ['negated boolean', ['pub', '-t', 't', '--no-retain']],
    ['negated boolean, negation on', ['broker', '--no-verbose']],
    ['grouped short flags', ['pub', '-t', 't', '-rn']],
    ['short flag with its value attached', ['pub', '-t', 't', '-mx']],
    ['short flag with =', ['pub', '-t', 't', '-m=x']],
    ['long form of a one-letter alias', ['pub', '--t', 't', '-m', 'x']],
    ['end of options', ['pub', '-m', 'x', '--', '-weird']],
    ['boolean followed by true', ['pub', '-t', 't', '-r', 'true']],
    ['boolean with =value', ['pub', '-t', 't', '--retain=false']],
    ['negative number', ['sub', 'a', '-x', '-1']],
    ['value that looks like a flag', ['pub', '-t', 't', '--message=-x']],
    ['lone dash', ['pub', '-', '-m', 'x']],
    ['quoted inline value', ['pub', '-t', 't', `--message="x"`]],
    ['empty inline array value', ['bridge', '--remote=', '-t', 'x']],
    ['repeated flag given with =', ['pub', '-t', 't', '--repeat=1', '--repeat', '2']],
    ['not a plain number', ['pub', '-t', 't', '-q', '1e0']],
    ['not a number', ['pub', '-t', 't', '-q', 'abc']],
    ['missing value', ['pub', '-t', 't', '-m']],
    ['empty array', ['broker', '-p', '-v']],
    ['invalid choice', ['pub', 't', '--simulate', '--format', 'xml']],
    ['conflicting flags', ['sub', 'a', '--json', '-v']],
    ['positional where none is declared', ['broker', '5']],
  ])('leaves to yargs: %s', (_, argv) => {
    expect(fast(argv)).toBeUndefined();
  });

  it('leaves to yargs a command line that does not start with the command', () => {
    expect(parseFast(['-t', 't', 'pub'], 'pub [topics..]', pub.flags)).toBeUndefined();
  });

  it('declines a flag table that uses what it does not reproduce', () => {
    const command = 'x [rest..]';
    expect(parseFast(['x'], command, { options: { n: { type: 'count' } } })).toBeUndefined();
    expect(parseFast(['x'], command, { options: { n: { type: 'string', coerce: String } } })).toBeUndefined();
    expect(parseFast(['x'], command, { options: { n: { type: 'string' } } })).toBeDefined();
    expect(parseFast(['x', 'a'], 'x <first>', { options: {} })).toBeUndefined();
    expect(
      parseFast(['x'], command, { options: {}, parserConfiguration: { 'dot-notation': false } }),
    ).toBeUndefined();
  });

  /** A command line built from a command's own flag table, with the odd word that is none of them. */
  function commandLines(name: string): fc.Arbitrary<string[]> {
    const { options } = HOT[name]!.flags;
    const spellings = Object.entries(options).flatMap(([key, spec]) => {
      const aliases = spec.alias === undefined ? [] : [spec.alias].flat();
      return [key, ...aliases].map((n) => ({ typed: n.length === 1 ? `-${n}` : `--${n}`, spec }));
    });
    const words = [
      'x',
      'a/b',
      '',
      '0',
      '1',
      '2',
      '1.5',
      '1883',
      '007',
      '1e3',
      '-1',
      '-',
      'true',
      'false',
      'help',
      'text',
      'json',
      'mqttv50',
      'user-property',
      "'q'",
      'a b',
    ];
    const value = fc.constantFrom(...words);
    const flag = fc.constantFrom(...spellings);
    const token = fc.oneof(
      {
        weight: 4,
        arbitrary: fc
          .tuple(flag, value)
          .map(([f, v]) => (f.spec.type === 'boolean' ? [f.typed] : [f.typed, v])),
      },
      { weight: 2, arbitrary: fc.tuple(flag, value).map(([f, v]) => [f.typed, v]) },
      { weight: 2, arbitrary: fc.tuple(flag, value).map(([f, v]) => [`${f.typed}=${v}`]) },
      { weight: 1, arbitrary: flag.map((f) => [f.typed]) },
      { weight: 2, arbitrary: value.map((v) => [v]) },
      { weight: 1, arbitrary: fc.constantFrom(['--'], ['--bogus'], ['-rv'], ['--help'], ['--no-clean']) },
    );
    return fc.array(token, { maxLength: 7 }).map((tokens) => [name, ...tokens.flat()]);
  }

  it.each(Object.keys(HOT))('agrees with yargs on every %s command line it accepts', async (name) => {
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(commandLines(name), async (argv) => {
        const parsed = fast(argv);
        if (parsed === undefined) return;
        accepted++;
        expect(parsed).toStrictEqual(await viaYargs(argv));
      }),
      { numRuns: 300 },
    );
    // Most generated lines are deliberately odd; enough must still take the fast path to prove anything.
    expect(accepted).toBeGreaterThan(30);
  });
});
