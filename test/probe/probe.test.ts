/**
 * `mqx test` against brokers configured with known settings: Debian's mosquitto and mqx's own,
 * from the same mosquitto.conf lines. Every capability `--json` reports must be the configured
 * one; and a probe of an in-process broker leaves no retained message and no session behind.
 */
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeBroker } from '../../src/probe/probe.js';
import { type InProcessBroker, startBroker } from '../helpers/broker.js';
import { peers } from '../helpers/peers.js';
import { freePort } from '../helpers/ports.js';
import { type RunningBroker, runMqx, startMosquitto, startMqxBroker, tempDir } from '../helpers/processes.js';

const SETTINGS = [
  'max_packet_size 2000',
  'max_topic_alias 7',
  'max_qos 1',
  'max_inflight_messages 10',
  'retain_available false',
  'sys_interval 1',
];

async function startMqxWith(lines: string[]): Promise<RunningBroker> {
  const conf = path.join(tempDir(), 'mqx.conf');
  writeFileSync(conf, `listener ${await freePort()} 127.0.0.1\nallow_anonymous true\n${lines.join('\n')}\n`);
  return startMqxBroker(['-c', conf]);
}

// Both advertise max_inflight_messages as their Receive Maximum (docs/flow-control.md).
const BROKERS = [
  { name: 'mosquitto', enabled: peers.mosquitto(), start: () => startMosquitto(SETTINGS.join('\n')) },
  { name: 'mqx broker', enabled: true, start: () => startMqxWith(SETTINGS) },
];

for (const b of BROKERS) {
  describe.runIf(b.enabled)(`mqx test against ${b.name} with known settings`, () => {
    let broker: RunningBroker;
    beforeAll(async () => {
      broker = await b.start();
    });
    afterAll(() => broker?.stop());

    it('--json reports every configured capability, exit 0, within the budget', async () => {
      const started = Date.now();
      const r = await runMqx(['test', '-h', '127.0.0.1', '-p', String(broker.port), '--json', '-W', '20'], {
        timeout: 40_000,
      });
      expect(Buffer.from(r.stderr).toString()).toBe('');
      expect(r.exitCode).toBe(0);
      expect(Date.now() - started).toBeLessThan(25_000);
      const report = JSON.parse(Buffer.from(r.stdout).toString());
      console.log(`[probe] ${b.name}: ${JSON.stringify(report.found)}`);
      expect(report).toMatchObject({
        protocols: { '3.1': true, '3.1.1': true, '5.0': true },
        maxQos: 1,
        retain: false,
        wildcards: true,
        sharedSubscriptions: true,
        subscriptionIdentifiers: true,
        topicAliasMaximum: 7,
        receiveMaximum: 10,
        maximumPacketSize: 2000,
        sessionExpiry: true,
        offlineQueue: true,
        will: true,
        willDelay: true,
        sys: true,
      });
      for (const key of [
        'protocols',
        'maxQos',
        'retain',
        'topicAliasMaximum',
        'maximumPacketSize',
        'will',
        'sys',
      ])
        expect(report.found[key], key).toEqual(expect.any(String));
      // By trying: nothing bigger than the packet limit went through, and the limit was found exactly.
      const { payload, topicLength } = report.limits;
      expect(payload.exact).toBe(true);
      expect(payload.value).toBeGreaterThan(1900);
      expect(payload.value).toBeLessThan(2000);
      expect(topicLength.exact).toBe(true);
      expect(topicLength.value).toBeGreaterThan(1900);
      expect(topicLength.value).toBeLessThan(2000);
    }, 45_000);

    it('prints a table without --json', async () => {
      const r = await runMqx(['test', '-h', '127.0.0.1', '-p', String(broker.port), '-W', '20'], {
        timeout: 40_000,
      });
      expect(r.exitCode).toBe(0);
      const out = Buffer.from(r.stdout).toString();
      expect(out).toMatch(/^topic alias maximum +7 +CONNACK \(5\.0\): 7$/m);
      expect(out).toMatch(/^maximum packet size +2000 bytes +CONNACK/m);
      expect(out).toMatch(/^retained messages +no /m);
    }, 45_000);
  });
}

describe('mqx test', () => {
  let broker: InProcessBroker;
  beforeAll(async () => {
    broker = await startBroker({ sysInterval: 1 });
  });
  afterAll(() => broker?.stop());

  it('leaves no retained message and no session behind', async () => {
    const report = await probeBroker({
      client: { broker: { scheme: 'mqtt', host: '127.0.0.1', port: broker.port } },
      budgetMs: 20_000,
      payloadCap: 64 * 1024,
    });
    expect(report).toMatchObject({ retain: true, offlineQueue: true, willDelay: true, sys: true });
    expect(report.limits.payload).toEqual({ value: 64 * 1024, exact: false });
    await new Promise((r) => setTimeout(r, 200));
    const left: string[] = [];
    broker.broker.retained.match('mqx-probe/#', (m) => left.push(m.topic));
    expect(left).toEqual([]);
    const sessions = [...broker.broker.sessions.keys()];
    expect(sessions, JSON.stringify(report.found)).toEqual([]);
  }, 30_000);

  it('keeps to its budget with a broker that accepts connections and then answers nothing', async () => {
    // CONNACK for every CONNECT (read at the protocol level byte), silence after that.
    const mute = net.createServer((socket) => {
      socket.once('data', (connect: Buffer) => {
        let at = 1;
        while (connect[at]! & 0x80) at++;
        const level = connect[at + 2 + connect.readUInt16BE(at + 1) + 1];
        socket.write(Buffer.from(level === 5 ? [0x20, 3, 0, 0, 0] : [0x20, 2, 0, 0]));
      });
      socket.on('error', () => undefined);
    });
    await new Promise<void>((r) => mute.listen(0, '127.0.0.1', r));
    try {
      const started = Date.now();
      const report = await probeBroker({
        client: {
          broker: { scheme: 'mqtt', host: '127.0.0.1', port: (mute.address() as net.AddressInfo).port },
        },
        budgetMs: 2_000,
        payloadCap: 1024,
      });
      expect(Date.now() - started).toBeLessThan(2_000 + 1_500);
      expect(report.protocols).toEqual({ '3.1': true, '3.1.1': true, '5.0': true });
      expect(Object.values(report.found).some((how) => how.includes('out of time'))).toBe(true);
    } finally {
      mute.close();
    }
  });

  it('exit 3 when nothing answers', async () => {
    const port = await freePort();
    const r = await runMqx(['test', '-h', '127.0.0.1', '-p', String(port)]);
    expect(r.exitCode).toBe(3);
    expect(Buffer.from(r.stderr).toString()).toMatch(/could not connect/);
  });
});
