/** `mqx ctl` end to end: the real binary against a real `mqx broker --http`. */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { formatEntry } from '../../src/broker/auth/password-file.js';
import { freePort } from '../helpers/ports.js';
import { type RunningBroker, runMqx, startMqxBroker, tempDir } from '../helpers/processes.js';

async function httpPort(broker: RunningBroker): Promise<number> {
  let port = 0;
  await vi.waitFor(
    () => {
      const line = broker.log.find((l) => /Opening http_api listen socket/.test(l));
      port = Number(/:(\d+) \(/.exec(line ?? '')?.[1]);
      expect(port).toBeGreaterThan(0);
    },
    { timeout: 10_000 },
  );
  return port;
}

const ctl = async (args: string[], env: Record<string, string> = {}) => {
  const r = await runMqx(['ctl', ...args], { env });
  return { code: r.exitCode, out: Buffer.from(r.stdout).toString(), err: Buffer.from(r.stderr).toString() };
};

describe('mqx ctl against mqx broker --http', () => {
  let broker: RunningBroker;
  let url: string;
  let device: MqttClient;
  beforeAll(async () => {
    broker = await startMqxBroker(['--http', '0']);
    url = `http://127.0.0.1:${await httpPort(broker)}`;
    device = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.port}`, {
      clientId: 'device-1',
      reconnectPeriod: 0,
    });
    await device.subscribeAsync('cmd/#', { qos: 1 });
    await device.publishAsync('state/device-1', 'on', { retain: true });
    await device.publishAsync('state/device-2', 'off', { retain: true });
  });
  afterAll(async () => {
    device?.end(true);
    await broker?.stop();
  });

  it('lists clients as tab-separated rows off a terminal, and as JSON with --json', async () => {
    const text = await ctl(['clients', '--url', url]);
    expect(text.code).toBe(0);
    const [header, ...rows] = text.out.trim().split('\n');
    expect(header!.split('\t')).toEqual([
      'ID',
      'CONNECTED',
      'ADDRESS',
      'PROTOCOL',
      'KEEPALIVE',
      'INFLIGHT',
      'QUEUED',
      'USERNAME',
    ]);
    expect(rows.map((r) => r.split('\t')[0])).toContain('device-1');
    const json = await ctl(['clients', '--json'], { MQX_URL: url });
    expect(JSON.parse(json.out).clients.map((c: { id: string }) => c.id)).toContain('device-1');
  });

  it('shows one client with its subscriptions, and the subscriptions under a filter', async () => {
    const one = await ctl(['client', 'device-1', '--url', url, '--json']);
    expect(JSON.parse(one.out).subscriptions[0]).toMatchObject({ filter: 'cmd/#', qos: 1 });
    const subs = await ctl(['subs', 'cmd/#', '--url', url]);
    expect(subs.out).toContain('device-1\tcmd/#\t1');
  });

  it('publishes through the API', async () => {
    const got = new Promise<string>((resolve) => device.once('message', (_t, p) => resolve(p.toString())));
    const r = await ctl(['publish', '-t', 'cmd/reboot', '-m', 'now', '-q', '1', '--url', url]);
    expect(r.code).toBe(0);
    expect(r.out).toBe('published to cmd/reboot (1 matching subscriptions)');
    expect(await got).toBe('now');
  });

  it('lists retained messages and removes them, after a dry run', async () => {
    const list = await ctl(['retained', 'state/#', '--url', url, '--json']);
    expect(JSON.parse(list.out).retained.map((m: { topic: string }) => m.topic)).toEqual([
      'state/device-1',
      'state/device-2',
    ]);
    const dry = await ctl(['retained', 'rm', 'state/#', '--dry-run', '--url', url]);
    expect(dry.out).toBe('state/device-1\nstate/device-2\nwould delete 2 retained messages');
    expect(JSON.parse((await ctl(['retained', 'state/#', '--url', url, '--json'])).out).total).toBe(2);
    const rm = await ctl(['retained', 'rm', 'state/#', '--url', url]);
    expect(rm.out).toMatch(/deleted 2 retained messages$/);
    expect(JSON.parse((await ctl(['retained', 'state/#', '--url', url, '--json'])).out).total).toBe(0);
  });

  it('prints the metrics and the bridges', async () => {
    const m = await ctl(['metrics', '--url', url]);
    expect(m.out).toMatch(/^mqx_connections\{listener="0",port="\d+"\} 1$/m);
    const bridges = await ctl(['bridges', '--url', url, '--json']);
    expect(JSON.parse(bridges.out)).toEqual([]);
  });

  it('kicks a client, then exits 6 for a client that is not there', async () => {
    const closed = new Promise<void>((resolve) => device.once('close', () => resolve()));
    const kick = await ctl(['kick', 'device-1', '--url', url]);
    expect(kick.err).toBe('');
    expect(kick.code).toBe(0);
    expect(kick.out).toBe('disconnected device-1');
    await closed;
    const again = await ctl(['kick', 'nobody', '--url', url]);
    expect(again.code).toBe(6);
    expect(again.err).toMatch(/404: no client 'nobody'/);
  });

  it('exits 2 for bad input and 3 when nothing listens', async () => {
    const bad = await ctl(['subs', 'a/#/b', '--url', url]);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/400: filter: /);
    expect((await ctl(['client', '--url', url])).code).toBe(2);
    const down = await ctl(['clients', '--url', `http://127.0.0.1:${await freePort()}`]);
    expect(down.code).toBe(3);
    expect(down.err).toMatch(/ECONNREFUSED/);
  });
});

describe('mqx ctl with credentials', () => {
  let broker: RunningBroker;
  let url: string;
  let dir: string;
  beforeAll(async () => {
    dir = tempDir('mqx-ctl-auth-');
    writeFileSync(
      path.join(dir, 'passwd'),
      `${await formatEntry('admin', 'a-pass')}\n${await formatEntry('viewer', 'v-pass')}\n`,
    );
    writeFileSync(path.join(dir, 'admin.pass'), 'a-pass\n');
    const mqttPort = await freePort();
    const conf = path.join(dir, 'mosquitto.conf');
    writeFileSync(
      conf,
      [
        `listener ${mqttPort} 127.0.0.1`,
        'listener 0 127.0.0.1',
        'protocol http_api',
        `password_file ${path.join(dir, 'passwd')}`,
        'allow_anonymous true',
        'http_admin admin',
        '',
      ].join('\n'),
    );
    broker = await startMqxBroker(['-c', conf]);
    url = `http://127.0.0.1:${await httpPort(broker)}`;
  });
  afterAll(() => broker?.stop());

  it('exits 4 without credentials or with a user who may not make changes', async () => {
    const none = await ctl(['clients', '--url', url]);
    expect(none.code).toBe(4);
    expect(none.err).toMatch(/401/);
    const viewer = { MQX_USERNAME: 'viewer', MQX_PASSWORD: 'v-pass' };
    expect((await ctl(['clients', '--url', url], viewer)).code).toBe(0);
    const denied = await ctl(['publish', '-t', 'x', '-m', 'y', '--url', url], viewer);
    expect(denied.code).toBe(4);
    expect(denied.err).toMatch(/403: .*not an http_admin/);
  });

  it('reads the password from a file', async () => {
    const r = await ctl([
      'publish',
      '-t',
      'x',
      '-m',
      'y',
      '--url',
      url,
      '-u',
      'admin',
      '--password-file',
      path.join(dir, 'admin.pass'),
    ]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
  });
});
