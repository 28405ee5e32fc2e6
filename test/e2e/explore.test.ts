/**
 * `mqx explore` in a real terminal (tmux) against real brokers (mqx and Debian's mosquitto),
 * with mosquitto_pub publishing and mosquitto_sub checking what is left retained.
 */
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import sparkplugPayload from 'sparkplug-payload';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { peers } from '../helpers/peers.js';
import {
  MQX_BIN,
  type RunningBroker,
  runMqx,
  startMosquitto,
  startMqxBroker,
  tempDir,
} from '../helpers/processes.js';
import { Tmux } from '../helpers/tmux.js';

const run = promisify(execFile);
const ready = peers.tmux() && peers.mosquitto() && peers.mosquittoClients();

async function pub(port: number, topic: string, message: string, retain = true): Promise<void> {
  await run('mosquitto_pub', ['-p', String(port), '-t', topic, '-m', message, ...(retain ? ['-r'] : [])]);
}

/** Every retained message on the broker, as 'topic payload' lines, sorted. */
async function retained(port: number): Promise<string[]> {
  const r = await run('mosquitto_sub', [
    '-p',
    String(port),
    '-t',
    '#',
    '--retained-only',
    '-W',
    '1',
    '-v',
  ]).catch((err: { stdout: string }) => err);
  return r.stdout.split('\n').filter(Boolean).sort();
}

const dir = tempDir('mqx-explore-e2e-');
let files = 0;

/** A binary payload, sent by mosquitto_pub from a file. */
async function pubBytes(port: number, topic: string, bytes: Uint8Array): Promise<void> {
  const file = path.join(dir, `payload-${++files}`);
  writeFileSync(file, bytes);
  await run('mosquitto_pub', ['-p', String(port), '-t', topic, '-f', file]);
}

/** NODE_OPTIONS that make node list every module explore requires into the file returned. */
function moduleLog(): { log: string; env: Record<string, string> } {
  const log = path.join(dir, `modules-${++files}.log`);
  const hook = path.join(dir, `hook-${files}.cjs`);
  writeFileSync(log, '');
  writeFileSync(
    hook,
    `const Module = require('node:module');
const { appendFileSync } = require('node:fs');
const load = Module._load;
Module._load = function (request, parent, isMain) {
  appendFileSync(${JSON.stringify(log)}, request + '\\n');
  return load.apply(this, arguments);
};
`,
  );
  return { log, env: { NODE_OPTIONS: `--require ${hook}` } };
}

const tahu = sparkplugPayload.get('spBv1.0')!;

const HOSTILE = 'x\x1b[2J\x1b]52;c;aGFja2Vk\x07\x1b]8;;http://evil\x1b\\y';

describe('mqx explore off a terminal', () => {
  it('says it needs one and exits 2, printing nothing on stdout', async () => {
    const r = await runMqx(['explore', '-p', '1']);
    expect(r.exitCode).toBe(2);
    expect(Buffer.from(r.stdout).toString()).toBe('');
    expect(Buffer.from(r.stderr).toString()).toBe('mqx explore needs a terminal; use mqx sub');
  });
});

describe.runIf(peers.tmux())('mqx explore --decode protobuf with a .proto it cannot read', () => {
  it('says so and exits 2 before connecting', async () => {
    const args = [
      'explore',
      '-p',
      '1',
      '--decode',
      'protobuf',
      '--proto',
      '/nonexistent.proto',
      '--type',
      'a.B',
    ];
    const t = new Tmux(['node', MQX_BIN, ...args], 100, 10, { NO_COLOR: '1' });
    try {
      await t.waitFor(() => t.exitStatus() !== undefined, 'the end');
      expect(t.exitStatus()).toBe(2);
      expect(t.screen()).toContain('cannot read /nonexistent.proto');
    } finally {
      t.kill();
    }
  });
});

describe.runIf(ready).each([
  ['mqx', () => startMqxBroker()],
  ['mosquitto', () => startMosquitto()],
])('mqx explore in tmux against %s', (_name, start) => {
  let broker: RunningBroker;
  let term: Tmux | undefined;
  beforeAll(async () => {
    broker = await start();
    await pub(broker.port, 'lab/a/temp', '21.5');
    await pub(broker.port, 'lab/a/hum', '40');
    await pub(broker.port, 'lab/b/temp', '19');
    await pub(broker.port, 'keep/x', 'kept');
  });
  afterEach(() => term?.kill());
  afterAll(() => broker?.stop());

  const open = (cols = 80, rows = 24, args: string[] = [], env: Record<string, string> = {}) => {
    const argv = ['node', MQX_BIN, 'explore', '-p', String(broker.port), ...args];
    term = new Tmux(argv, cols, rows, { NO_COLOR: '1', ...env });
    return term;
  };

  it('shows topics and last values, narrows by search, clears exactly the confirmed subtree, quits 0', async () => {
    const t = open();
    await t.waitFor((s) => /4 topics/.test(s) && s.includes('lab'), 'the retained topics');
    t.send('G', '*');
    let screen = await t.waitFor((s) => s.includes('temp 19'), 'the expanded subtree');
    expect(screen).toMatch(/hum 40 +R/);
    expect(screen).toMatch(/temp 21\.5 +R/);
    await pub(broker.port, 'lab/a/temp', '22.25', false);
    await t.waitFor((s) => s.includes('temp 22.25'), 'the live value');

    t.send('/');
    t.type('lab/+/temp');
    t.send('Enter');
    screen = await t.waitFor((s) => s.includes('search: lab/+/temp'), 'the search');
    const tree = screen
      .split('\n')
      .slice(2, -1)
      .map((l) => l.slice(0, 40));
    expect(tree.filter((l) => /temp/.test(l))).toHaveLength(2);
    expect(tree.some((l) => /hum|keep/.test(l))).toBe(false);
    t.send('n', 'N', 'Escape');
    screen = await t.waitFor((s) => s.includes('keep') && !s.includes('search:'), 'the whole tree again');

    // The selection is on lab/a/temp (the search's first match): up to lab/a, clear its subtree.
    t.send('h', 'D');
    screen = await t.waitFor(
      (s) => s.includes('Clear 2 retained messages under lab/a/#?'),
      'the confirmation',
    );
    expect(screen).toContain('lab/a/hum');
    t.send('y');
    await t.waitFor((s) => s.includes('cleared 2 retained messages'), 'the result');
    expect(await retained(broker.port)).toEqual(['keep/x kept', 'lab/b/temp 19']);

    t.send('q');
    await t.waitFor(() => t.exitStatus() !== undefined, 'the end');
    expect(t.exitStatus()).toBe(0);
  });

  it('shows escape sequences in payloads escaped: the pane and the clipboard stay intact', async () => {
    const t = open(140, 24);
    await t.waitFor((s) => s.includes('keep'), 'the tree');
    await pub(broker.port, 'evil', HOSTILE, false);
    await t.waitFor((s) => s.includes('evil'), 'the hostile topic');
    t.send('g');
    const screen = await t.waitFor((s) => s.includes('│ evil'), 'the hostile topic selected');
    const lines = screen.split('\n');
    expect(lines[0]).toMatch(/^ mqx explore {2}localhost:\d+ {2}#/);
    expect(lines[1]).toMatch(/^ Topics/);
    expect(screen).toContain('x\\e[2J\\e]52;c;aGFja2Vk\\x07\\e]8;;http://evil\\e\\y');
    expect(screen).toContain('keep');
    expect(lines).toHaveLength(25);
    expect(t.buffers()).toBe('');
    // explore's own copy does reach the clipboard: the check above could have failed.
    t.send('c');
    await t.waitFor(() => t.buffers().includes('evil'), 'the copied topic');
    t.send('q');
  });

  it('shows a Tahu NDATA decoded: the metric its NBIRTH named, by name, with its value', async () => {
    const t = open(120, 30, ['spBv1.0/#']);
    await t.waitFor((s) => s.includes('Topics 0/0'), 'the empty tree');
    const birth = tahu.encodePayload({
      seq: 0,
      metrics: [{ name: 'boiler/temperature', alias: 7, type: 'Double', value: 21.5 }],
    });
    await pubBytes(broker.port, 'spBv1.0/plant/NBIRTH/edge1', birth);
    await pubBytes(
      broker.port,
      'spBv1.0/plant/NDATA/edge1',
      tahu.encodePayload({ seq: 1, metrics: [{ alias: 7, type: 'Double', value: 64.25 }] }),
    );
    await t.waitFor((s) => s.includes('2 msgs'), 'both messages');
    t.send('*', 'G');
    const screen = await t.waitFor((s) => s.includes('│ spBv1.0/plant/NDATA/edge1'), 'the NDATA selected');
    expect(screen).toMatch(/edge1 boiler\/temperature=64\.25 /);
    expect(screen).toMatch(/edge1 boiler\/temperature=21\.5 /);
    const pane = screen.split('\n').map((l) => l.slice(61).trimEnd());
    expect(pane.some((l) => l.startsWith(' ── payload: sparkplug (f)'))).toBe(true);
    expect(pane).toContain('       "name": "boiler/temperature",');
    expect(pane).toContain('       "value": 64.25');
    t.send('q');
    await t.waitFor(() => t.exitStatus() !== undefined, 'the end');
    expect(t.exitStatus()).toBe(0);
  });

  it('loads the codecs (protobufjs) with the first spBv1.0/ message, not before', async () => {
    const { log, env } = moduleLog();
    const t = open(100, 24, ['probe/#', 'spBv1.0/#'], env);
    await t.waitFor((s) => s.includes('Topics 0/0'), 'the empty tree');
    await pub(broker.port, 'probe/x', '{"a":1}', false);
    await t.waitFor((s) => s.includes('1 msgs'), 'a message on another topic');
    let loaded = readFileSync(log, 'utf8');
    expect(loaded).toContain('commands/explore.cjs'); // the hook saw explore load
    expect(loaded).not.toContain('protobufjs');
    expect(loaded).not.toContain('payload.cjs');
    const ndata = tahu.encodePayload({ seq: 1, metrics: [{ name: 'rpm', type: 'Int32', value: 1200 }] });
    await pubBytes(broker.port, 'spBv1.0/plant/NDATA/edge9', ndata);
    await t.waitFor((s) => s.includes('2 msgs'), 'the Sparkplug message');
    t.send('G', '*', 'G');
    await t.waitFor((s) => s.includes('edge9 rpm=1200'), 'the NDATA decoded');
    loaded = readFileSync(log, 'utf8');
    expect(loaded).toContain('./shared/payload.cjs');
    expect(loaded).toContain('protobufjs');
    expect(loaded).not.toContain('cbor-x');
    t.send('q');
  });

  it('re-lays the screen when the terminal is resized; Ctrl-C exits 130', async () => {
    const t = open(100, 30);
    let screen = await t.waitFor((s) => s.includes('keep'), 'the tree');
    expect(screen.split('\n')[2]).toMatch(/│/);
    t.resize(50, 20);
    screen = await t.waitFor((s) => s.split('\n').some((l) => l.startsWith('────')), 'the stacked layout');
    const lines = screen.split('\n').filter((l) => l !== '');
    expect(lines.every((l) => l.length <= 50)).toBe(true);
    expect(lines[0]).toMatch(/^ mqx explore .* msgs/);
    t.resize(80, 24);
    screen = await t.waitFor((s) => s.split('\n')[2]!.includes('│'), 'side by side again');
    expect(screen.split('\n')).toHaveLength(25);
    t.send('C-c');
    await t.waitFor(() => t.exitStatus() !== undefined, 'the end');
    expect(t.exitStatus()).toBe(130);
  });
});
