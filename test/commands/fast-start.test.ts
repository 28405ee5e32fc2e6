/**
 * `mqx pub` and `mqx sub` start fast by loading only what they need: no WebSocket, config,
 * spinner or colour library for a plain TCP run off a terminal. A module hook records every
 * module the real binary resolves.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { peers } from '../helpers/peers.js';
import { type RunningBroker, runMqx, startMosquitto, tempDir } from '../helpers/processes.js';

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

const HEAVY = [
  '/node_modules/ws/',
  '/node_modules/cosmiconfig/',
  '/node_modules/ora/',
  '/node_modules/chalk/',
  'node:tls',
  'better-sqlite3',
  '/src/broker/',
];

describe.runIf(peers.mosquitto())('fast start', () => {
  let broker: RunningBroker;
  beforeAll(async () => {
    broker = await startMosquitto();
  });
  afterAll(() => broker?.stop());

  it.each([
    ['pub', '-t', 't', '-m', 'x'],
    ['sub', '-t', 't', '-E'],
  ])('mqx %s loads none of ws, cosmiconfig, ora, chalk, tls or the broker', async (...args) => {
    writeFileSync(log, '');
    const env = {
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import ${path.join(dir, 'register.mjs')}`,
    };
    const r = await runMqx([...args, '-h', '127.0.0.1', '-p', String(broker.port)], { env });
    expect(r.exitCode).toBe(0);
    const loaded = readFileSync(log, 'utf8');
    expect(loaded).toContain('/commands/'); // the hook saw the command load
    for (const heavy of HEAVY) expect(loaded).not.toContain(heavy);
  });
});
