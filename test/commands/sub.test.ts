/**
 * `mqx sub` finishing what it started and surviving broker restarts, through the real binary:
 * the QoS 2 exchange completes before DISCONNECT, a message it does not print stays with the
 * broker, it reconnects by default once connected, and --retained-only knows when to stop.
 */
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { peers } from '../helpers/peers.js';
import { freePort } from '../helpers/ports.js';
import { type RunningBroker, runMqx, startMosquitto, startMqxBroker } from '../helpers/processes.js';

const brokers: RunningBroker[] = [];
afterEach(async () => {
  await Promise.all(brokers.splice(0).map((b) => b.stop()));
});

async function broker(start: Promise<RunningBroker>): Promise<RunningBroker> {
  const b = await start;
  brokers.push(b);
  return b;
}

async function waitForLine(log: string[], text: string, from = 0): Promise<number> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const at = log.findIndex((l, i) => i >= from && l.includes(text));
    if (at !== -1) return at;
    if (Date.now() > deadline) throw new Error(`no "${text}" in:\n${log.join('\n')}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const text = (b: unknown) => Buffer.from(b as Uint8Array).toString();

describe.skipIf(!peers.mosquitto() || !peers.mosquittoClients())('mqx sub against mosquitto', () => {
  it('-q 2 -C 1 completes the QoS 2 exchange before DISCONNECT', async () => {
    const m = await broker(startMosquitto('log_type all'));
    const sub = runMqx(['sub', '-p', String(m.port), '-t', 'a/#', '-q', '2', '-C', '1', '-i', 'q2sub']);
    await waitForLine(m.log, 'Sending SUBACK to q2sub');
    await execa('mosquitto_pub', ['-p', String(m.port), '-t', 'a/b', '-m', 'hello', '-q', '2']);
    const r = await sub;
    expect(r.exitCode).toBe(0);
    expect(text(r.stdout)).toBe('hello');
    await waitForLine(m.log, 'Received DISCONNECT from q2sub');
    const lines = m.log.filter((l) => /(from|to) q2sub/.test(l)).map((l) => l.replace(/^\d+: /, ''));
    expect(lines.slice(-4)).toEqual([
      'Received PUBREC from q2sub (Mid: 1)',
      'Sending PUBREL to q2sub (m1)',
      'Received PUBCOMP from q2sub (Mid: 1, RC:0)',
      'Received DISCONNECT from q2sub',
    ]);
  });

  it('-q 1 -C 1 -c run twice against two queued messages prints one each time, none lost', async () => {
    const m = await broker(startMosquitto('log_type all'));
    const port = String(m.port);
    const args = ['sub', '-p', port, '-t', 'q/#', '-q', '1', '-C', '1', '-c', '-i', 'keeper', '-W', '10'];
    // The first run creates the persistent session; it ends at -C 1 after one message.
    const first = runMqx(args);
    await waitForLine(m.log, 'Sending SUBACK to keeper');
    await execa('mosquitto_pub', ['-p', port, '-t', 'q/0', '-m', 'm0', '-q', '1']);
    expect(text((await first).stdout)).toBe('m0');
    for (const n of [1, 2])
      await execa('mosquitto_pub', ['-p', port, '-t', `q/${n}`, '-m', `m${n}`, '-q', '1']);
    const second = await runMqx(args);
    const third = await runMqx(args);
    expect([text(second.stdout), text(third.stdout)]).toEqual(['m1', 'm2']);
    expect([second.exitCode, third.exitCode]).toEqual([0, 0]);
  });
});

describe('mqx sub and a broker restart', () => {
  it('reconnects by default, says so on stderr, and keeps -C', async () => {
    const port = await freePort();
    const first = await broker(startMqxBroker(['-p', String(port), '-v']));
    const sub = runMqx(['sub', '-p', String(port), '-t', 'r/#', '-C', '1', '-i', 'survivor', '-W', '15']);
    await waitForLine(first.log, 'Sending SUBACK to survivor');
    await first.stop();
    const second = await broker(startMqxBroker(['-p', String(port), '-v']));
    await waitForLine(second.log, 'Sending SUBACK to survivor');
    await runMqx(['pub', '-p', String(port), '-t', 'r/1', '-m', 'back']);
    const r = await sub;
    expect(text(r.stdout)).toBe('back');
    expect(r.exitCode).toBe(0);
    expect(text(r.stderr)).toMatch(/reconnecting in [\d.]+ s/);
  });

  it('--no-reconnect exits 3 when the broker goes', async () => {
    const b = await broker(startMqxBroker(['-v']));
    const sub = runMqx(['sub', '-p', String(b.port), '-t', 'r/#', '-i', 'quitter', '--no-reconnect']);
    await waitForLine(b.log, 'Sending SUBACK to quitter');
    await b.stop();
    const r = await sub;
    expect(r.exitCode).toBe(3);
    expect(text(r.stderr).trim().split('\n')).toHaveLength(1);
  });

  it('exits 3 at once when the first connection fails', async () => {
    const port = await freePort();
    const started = Date.now();
    const r = await runMqx(['sub', '-p', String(port), '-t', 'r/#']);
    expect(r.exitCode).toBe(3);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(text(r.stderr)).toMatch(/^mqx: .*ECONNREFUSED/);
  });
});

describe('mqx sub --retained-only', () => {
  it('prints what is retained and exits 0 once no more comes', async () => {
    const b = await broker(startMqxBroker());
    const port = String(b.port);
    for (const n of [1, 2]) await runMqx(['pub', '-p', port, '-t', `k/${n}`, '-m', `v${n}`, '-r']);
    const started = Date.now();
    const r = await runMqx(['sub', '-p', port, '-t', 'k/#', '--retained-only', '-W', '10']);
    expect(r.exitCode).toBe(0);
    expect(text(r.stdout).split('\n').sort()).toEqual(['v1', 'v2']);
    expect(Date.now() - started).toBeLessThan(5_000);
    const none = await runMqx(['sub', '-p', port, '-t', 'nothing/#', '--retained-only', '-W', '10']);
    expect([none.exitCode, text(none.stdout)]).toEqual([0, '']);
  });
});
