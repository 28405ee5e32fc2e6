/**
 * `mqx rr` against responders no one here wrote: MQTT.js answering MQTT 5 requests by their
 * Response Topic and Correlation Data, and paho-mqtt (3.1.1) answering on a fixed topic pair.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PYTHON, peers } from '../helpers/peers.js';
import { type RunningBroker, runMqx, startMqxBroker } from '../helpers/processes.js';

const text = (b: Uint8Array) => Buffer.from(b).toString('utf8');

/** paho-mqtt 1.6 answering each request on rr/v3/req with "pong PAYLOAD" on rr/v3/reply. */
async function startPahoResponder(port: number): Promise<ChildProcess> {
  const script = `
import paho.mqtt.client as mqtt
def on_connect(c, u, f, rc):
    c.subscribe("rr/v3/req", 1)
def on_subscribe(c, u, mid, q):
    print("ready", flush=True)
def on_message(c, u, m):
    c.publish("rr/v3/reply", b"pong " + m.payload, 1)
c = mqtt.Client(protocol=mqtt.MQTTv311)
c.on_connect, c.on_subscribe, c.on_message = on_connect, on_subscribe, on_message
c.connect("127.0.0.1", ${port})
c.loop_forever()
`;
  const responder = spawn(PYTHON, ['-c', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    responder.stdout!.on('data', (c: Buffer) => c.toString().includes('ready') && resolve());
    responder.once('exit', (code) => reject(new Error(`paho responder exited with ${code}`)));
  });
  return responder;
}

describe('mqx rr', () => {
  let broker: RunningBroker;
  let pahoResponder: ChildProcess | undefined;
  let p: string[];
  beforeAll(async () => {
    broker = await startMqxBroker();
    p = ['-h', '127.0.0.1', '-p', String(broker.port)];
    if (peers.paho()) pahoResponder = await startPahoResponder(broker.port);
  });
  afterAll(async () => {
    pahoResponder?.kill();
    await broker?.stop();
  });

  describe('MQTT 5 against an MQTT.js responder', () => {
    let responder: MqttClient;
    beforeAll(async () => {
      responder = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.port}`, { protocolVersion: 5 });
      // Answers every request twice: first with a wrong correlation, which rr must ignore.
      responder.on('message', (_topic, payload, packet) => {
        const props = packet.properties ?? {};
        if (!props.responseTopic) return;
        responder.publish(props.responseTopic, 'decoy', {
          properties: { correlationData: Buffer.from('not yours') },
        });
        responder.publish(props.responseTopic, `echo ${payload}`, {
          qos: 1,
          properties: { correlationData: props.correlationData },
        });
      });
      await responder.subscribeAsync('rr/v5/req', { qos: 1 });
    });
    afterAll(() => responder?.endAsync());

    it('prints the response that carries its correlation data, exit 0', async () => {
      const r = await runMqx([
        'rr',
        ...p,
        '-V',
        '5',
        '-t',
        'rr/v5/req',
        '-e',
        'rr/v5/reply',
        '-m',
        'hi',
        '-W',
        '5',
      ]);
      expect(text(r.stderr)).toBe('');
      expect(r.exitCode).toBe(0);
      expect(text(r.stdout)).toBe('echo hi');
    });

    it('decodes the response as mqx sub does: --decode hex --json carries it beside the bytes', async () => {
      const r = await runMqx([
        'rr',
        ...p,
        '-V',
        '5',
        '-t',
        'rr/v5/req',
        '-e',
        'rr/v5/decoded',
        '-m',
        'hi',
        '-W',
        '5',
        '--decode',
        'hex',
        '--json',
      ]);
      expect(r.exitCode, text(r.stderr)).toBe(0);
      const line = JSON.parse(text(r.stdout));
      expect(line.format).toBe('hex');
      expect(line.decoded).toBe(Buffer.from('echo hi').toString('hex'));
    });

    it('formats like mqx sub: --json carries the correlation data', async () => {
      const r = await runMqx([
        'rr',
        ...p,
        '-V',
        '5',
        '-t',
        'rr/v5/req',
        '-e',
        'rr/v5/j',
        '-m',
        'x',
        '-q',
        '1',
        '--json',
      ]);
      expect(r.exitCode).toBe(0);
      const doc = JSON.parse(text(r.stdout));
      expect(doc).toMatchObject({ topic: 'rr/v5/j', payload: 'echo x', qos: 1 });
      expect(Buffer.from(doc.properties.correlationData, 'base64')).toHaveLength(16);
    });

    it('-c N --latency: every response, each round trip and min/median/p99', async () => {
      const r = await runMqx([
        'rr',
        ...p,
        '-V',
        '5',
        '-t',
        'rr/v5/req',
        '-e',
        'rr/v5/l',
        '-m',
        'n',
        '-c',
        '20',
        '--latency',
      ]);
      expect(r.exitCode).toBe(0);
      expect(text(r.stdout)).toBe(Array(20).fill('echo n').join('\n'));
      const trips = [...text(r.stderr).matchAll(/^round trip: (\d+\.\d{3}) ms$/gm)].map((m) => Number(m[1]));
      expect(trips).toHaveLength(20);
      const summary = /^20 round trips: min (\S+) ms, median (\S+) ms, p99 (\S+) ms, max (\S+) ms$/m.exec(
        text(r.stderr),
      );
      expect(summary).not.toBeNull();
      const [min, median, p99, max] = summary!.slice(1).map(Number) as [number, number, number, number];
      expect(min).toBe(Math.min(...trips));
      expect(max).toBe(Math.max(...trips));
      expect(min).toBeLessThanOrEqual(median);
      expect(median).toBeLessThanOrEqual(p99);
      console.log(`[rr] MQTT 5, 20 requests through mqx broker: ${summary![0]}`);
    });

    it('exits 5 when no response comes within -W', async () => {
      const started = Date.now();
      const r = await runMqx([
        'rr',
        ...p,
        '-V',
        '5',
        '-t',
        'rr/nobody',
        '-e',
        'rr/nobody/reply',
        '-m',
        'x',
        '-W',
        '0.5',
      ]);
      expect(r.exitCode).toBe(5);
      expect(text(r.stderr)).toMatch(/no response on 'rr\/nobody\/reply' after 0.5 s/);
      expect(Date.now() - started).toBeLessThan(5_000);
    });

    it('exit 2 without a response topic', async () => {
      const r = await runMqx(['rr', ...p, '-t', 'a', '-m', 'x']);
      expect(r.exitCode).toBe(2);
      expect(text(r.stderr)).toMatch(/-e/);
    });
  });

  describe.runIf(peers.paho())('MQTT 3.1.1 against a paho responder (topic pair)', () => {
    it('a retained stale answer is skipped; the live one is printed with -v', async () => {
      const stale = await runMqx(['pub', ...p, '-t', 'rr/v3/reply', '-m', 'stale', '-r']);
      expect(stale.exitCode).toBe(0);
      const r = await runMqx([
        'rr',
        ...p,
        '-t',
        'rr/v3/req',
        '-e',
        'rr/v3/reply',
        '-m',
        'ping',
        '-q',
        '1',
        '-v',
        '-W',
        '5',
      ]);
      expect(text(r.stderr)).toBe('');
      expect(r.exitCode).toBe(0);
      expect(text(r.stdout)).toBe('rr/v3/reply pong ping');
      await runMqx(['pub', ...p, '-t', 'rr/v3/reply', '-n', '-r']);
    });

    it('-c 5 --latency through paho', async () => {
      const r = await runMqx([
        'rr',
        ...p,
        '-t',
        'rr/v3/req',
        '-e',
        'rr/v3/reply',
        '-m',
        'p',
        '-c',
        '5',
        '--latency',
        '-W',
        '5',
      ]);
      expect(r.exitCode).toBe(0);
      expect(text(r.stdout)).toBe(Array(5).fill('pong p').join('\n'));
      expect(text(r.stderr)).toMatch(/^5 round trips: min /m);
    });
  });
});
