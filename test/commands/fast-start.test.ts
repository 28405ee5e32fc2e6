/**
 * `mqx pub` and `mqx sub` start fast by loading only what they need: no argument parser library
 * (a command line their flag table parses goes straight to the handler), no WebSocket, config,
 * spinner or colour library for a plain TCP run off a terminal. Two hooks record every module the
 * real binary loads: a CommonJS one (bin/mqx.js requires the bundle dist/src/cli.cjs, which
 * requires node's modules) and an ES module one (what the bundle imports: the other commands and
 * the packages).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { peers } from '../helpers/peers.js';
import { ROOT, type RunningBroker, runMqx, startMosquitto, tempDir } from '../helpers/processes.js';

const dir = tempDir('mqx-fast-start-');
const log = path.join(dir, 'modules.log');
writeFileSync(
  path.join(dir, 'hooks.mjs'),
  `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  appendFileSync(${JSON.stringify(log)}, r.url + '\\n');
  return r;
}
`,
);
writeFileSync(
  path.join(dir, 'register.mjs'),
  `import { register } from 'node:module';\nregister(${JSON.stringify(`file://${path.join(dir, 'hooks.mjs')}`)});\n`,
);
writeFileSync(
  path.join(dir, 'require-hook.cjs'),
  `const Module = require('node:module');
const { appendFileSync } = require('node:fs');
const load = Module._load;
Module._load = function (request, parent, isMain) {
  const resolved = Module.isBuiltin(request) ? request : Module._resolveFilename(request, parent, isMain);
  appendFileSync(${JSON.stringify(log)}, resolved + '\\n');
  return load.apply(this, arguments);
};
`,
);

/** yargs and what it pulls in (yargs-parser, cliui, string-width...). */
const YARGS = ['/node_modules/yargs', '/node_modules/cliui/', '/node_modules/string-width/'];

const HEAVY = [
  ...YARGS,
  '/node_modules/ws/',
  '/node_modules/cosmiconfig/',
  '/node_modules/ora/',
  '/node_modules/chalk/',
  'node:tls',
  'better-sqlite3',
  '/src/broker/',
  // The payload codecs: only for --encode, --decode and --simulate sparkplug.
  '/commands/shared/payload.cjs',
  '/src/simulate/sparkplug.cjs',
  '/node_modules/protobufjs/',
  '/node_modules/cbor-x/',
  '/node_modules/@msgpack/',
  '/commands/explore.cjs',
];

async function loadedBy(args: string[]): Promise<{ exitCode: number | undefined; loaded: string }> {
  writeFileSync(log, '');
  const env = {
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require ${path.join(dir, 'require-hook.cjs')} --import ${path.join(dir, 'register.mjs')}`,
  };
  const r = await runMqx(args, { env });
  return { exitCode: r.exitCode, loaded: readFileSync(log, 'utf8') };
}

describe.runIf(peers.mosquitto())('fast start', () => {
  let broker: RunningBroker;
  beforeAll(async () => {
    broker = await startMosquitto();
  });
  afterAll(() => broker?.stop());

  it.each([
    ['pub', '-t', 't', '-m', 'x'],
    ['sub', '-t', 't', '-E'],
  ])('mqx %s loads none of yargs, ws, cosmiconfig, ora, chalk, tls or the broker', async (...args) => {
    const { exitCode, loaded } = await loadedBy([...args, '-h', '127.0.0.1', '-p', String(broker.port)]);
    expect(exitCode).toBe(0);
    expect(loaded).toContain('/dist/src/cli.cjs'); // the hooks saw the command line load
    expect(loaded).toContain('node:net');
    for (const heavy of HEAVY) expect(loaded).not.toContain(heavy);
  });
});

describe.runIf(peers.mosquitto())('codecs only when asked for', () => {
  let broker: RunningBroker;
  beforeAll(async () => {
    broker = await startMosquitto();
  });
  afterAll(() => broker?.stop());

  it('mqx sub --decode json loads the payload bundle but no codec package', async () => {
    const { exitCode, loaded } = await loadedBy([
      'sub',
      '-t',
      't',
      '-E',
      '--decode',
      'json',
      '-h',
      '127.0.0.1',
      '-p',
      String(broker.port),
    ]);
    expect(exitCode).toBe(0);
    expect(loaded).toContain('/commands/shared/payload.cjs');
    for (const codec of ['/node_modules/protobufjs/', '/node_modules/cbor-x/', '/node_modules/@msgpack/'])
      expect(loaded).not.toContain(codec);
  });

  it('mqx pub --simulate loads protobufjs and the Sparkplug scenario for sparkplug only', async () => {
    const port = ['-h', '127.0.0.1', '-p', String(broker.port)];
    const sim = ['--count', '1', '--interval', '0'];
    const sensor = await loadedBy(['pub', 't', '--simulate', 'auto', ...sim, ...port]);
    expect(sensor.exitCode).toBe(0);
    const sparkplug = await loadedBy([
      'pub',
      '--simulate',
      'sparkplug',
      '--group',
      'G',
      '--edge',
      'E',
      ...sim,
      ...port,
    ]);
    expect(sparkplug.exitCode).toBe(0);
    for (const heavy of ['/node_modules/protobufjs/', '/src/simulate/sparkplug.cjs']) {
      expect(sensor.loaded).not.toContain(heavy);
      expect(sparkplug.loaded).toContain(heavy);
    }
  });

  it('mqx sub --decode auto loads protobufjs (for Sparkplug B) and nothing else', async () => {
    const { exitCode, loaded } = await loadedBy([
      'sub',
      '-t',
      't',
      '-E',
      '--decode',
      'auto',
      '-h',
      '127.0.0.1',
      '-p',
      String(broker.port),
    ]);
    expect(exitCode).toBe(0);
    expect(loaded).toContain('/node_modules/protobufjs/');
    expect(loaded).not.toContain('/node_modules/cbor-x/');
  });
});

describe('explore stays out of pub and sub', () => {
  it('its renderer is a bundle of its own, not part of the command line', () => {
    const cli = readFileSync(path.join(ROOT, 'dist/src/cli.cjs'), 'utf8');
    expect(cli).toContain('commands/explore.cjs');
    expect(cli).not.toContain('explore needs a terminal');
    expect(readFileSync(path.join(ROOT, 'dist/commands/explore.cjs'), 'utf8')).toContain(
      'explore needs a terminal',
    );
  });
});

describe('yargs only when needed', () => {
  it('mqx broker runs without yargs', async () => {
    const { exitCode, loaded } = await loadedBy(['broker', '--check', '-p', '0']);
    expect(exitCode).toBe(0);
    expect(loaded).toContain('/commands/broker.cjs');
    for (const heavy of YARGS) expect(loaded).not.toContain(heavy);
  });

  it('a command line the fast path does not take still gets yargs: its help, its errors', async () => {
    const help = await loadedBy(['pub', '--help']);
    expect(help.exitCode).toBe(0);
    expect(help.loaded).toContain('/node_modules/yargs/');
    const bad = await runMqx(['pub', '-t', 't', '--bogus']);
    expect(bad.exitCode).toBe(2);
    expect(Buffer.from(bad.stderr).toString()).toBe(
      "mqx: Unknown argument: bogus\nRun 'mqx pub --help' for usage.",
    );
  });
});
