/**
 * Nothing acknowledged is lost under load (docs/flow-control.md): publishers faster than their
 * subscribers, through the real binary, with real peers as publishers and readers.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { PYTHON, peers } from '../helpers/peers.js';
import { freePort } from '../helpers/ports.js';
import {
  LAUNCHER_FLAGS,
  MQX_BIN,
  type RunningBroker,
  startMosquitto,
  startMqxBroker,
  tempDir,
} from '../helpers/processes.js';
import { RawClient } from '../helpers/raw-client.js';
import { pahoSlowSub, peakRss, slowClient } from '../helpers/slow-readers.js';

const started: Array<{ stop(): Promise<void> | void }> = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.stop()));
});

async function mqx(args: string[] = []): Promise<RunningBroker> {
  const b = await startMqxBroker(args);
  started.push(b);
  return b;
}

function linesFile(n: number): { file: string; lines: string[] } {
  const lines = Array.from({ length: n }, (_, i) => `line ${i + 1}`);
  const file = path.join(tempDir('mqx-flow-'), 'in');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return { file, lines };
}

function mosquittoSub(port: number, topic: string, count: number, seconds = 60) {
  return execa(
    'mosquitto_sub',
    ['-p', String(port), '-t', topic, '-q', '1', '-C', String(count), '-W', String(seconds)],
    {
      reject: false,
      stdin: 'ignore',
    },
  );
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const clients = () => peers.mosquittoClients() && peers.paho();

describe.runIf(clients())('a fast QoS 1 publisher and two slower QoS 1 subscribers', () => {
  /** Runs the course's case on one broker; returns what each subscriber got. */
  /** `readerSeconds` bounds the readers: mosquitto drops, so its readers would wait in vain. */
  async function run(port: number, publisher: 'mosquitto_pub' | 'mqx pub', n: number, readerSeconds = 120) {
    const { file } = linesFile(n);
    const fast = mosquittoSub(port, 'flow/t', n, readerSeconds);
    const paho = await pahoSlowSub(port, 'flow/t', n, 0.0002, readerSeconds);
    await sleep(300);
    const tool = publisher === 'mosquitto_pub' ? 'mosquitto_pub' : `node ${MQX_BIN} pub`;
    const pub = await execa('sh', ['-c', `${tool} -p ${port} -t flow/t -q 1 -l < ${file}`], {
      reject: false,
    });
    expect(pub.exitCode, String(pub.stderr)).toBe(0);
    const got = {
      fast: String((await fast).stdout)
        .split('\n')
        .filter(Boolean),
      paho: await paho.done(),
    };
    return got;
  }

  it.each(['mosquitto_pub', 'mqx pub'] as const)(
    '%s -l -q 1 with 30,000 lines: mosquitto_sub and a slowed paho get 30,000 of 30,000, in order',
    async (publisher) => {
      const broker = await mqx();
      const expected = linesFile(30_000).lines;
      const got = await run(broker.port, publisher, 30_000);
      expect(got.fast.length).toBe(30_000);
      expect(got.paho.length).toBe(30_000);
      expect(got.fast).toEqual(expected);
      expect(got.paho).toEqual(expected);
      expect(broker.log.join('\n')).not.toMatch(/being dropped/);
      if (publisher === 'mosquitto_pub' && peers.mosquitto()) {
        const mosq = await startMosquitto();
        started.push(mosq);
        const theirs = await run(mosq.port, publisher, 30_000, 25);
        console.log(
          `30,000 QoS 1 lines, mosquitto_sub / slowed paho: mqx ${got.fast.length} / ${got.paho.length}, mosquitto 2.0 ${theirs.fast.length} / ${theirs.paho.length}`,
        );
      }
    },
    180_000,
  );
});

describe('bounded memory and no hostages', () => {
  // From 100,000 on: below that the heap is still growing to the size it keeps.
  it('peak RSS does not grow with the count: 1,000,000 QoS 1 messages into a slow reader peak as 100,000 do', async () => {
    const peaks: number[] = [];
    for (const n of [100_000, 1_000_000]) {
      const broker = await startMqxBroker([], {}, LAUNCHER_FLAGS);
      started.push(broker);
      const { file } = linesFile(n);
      const reader = await slowClient(broker.port, 'rss/t', { perTick: 40, tickMs: 1 });
      // Not mosquitto_pub: it numbers every line it queues, so past 65,535 lines ahead of the broker
      // its ids wrap, and the first PUBACK for its last id makes it disconnect with the rest unsent.
      const pub = await execa(
        'sh',
        ['-c', `node ${MQX_BIN} pub -p ${broker.port} -t rss/t -q 1 -l < ${file}`],
        {
          reject: false,
        },
      );
      expect(pub.exitCode).toBe(0);
      await reader.waitFor(n, 300_000);
      peaks.push(peakRss(broker.proc.pid!));
      reader.end();
      await broker.stop();
    }
    console.log(
      `broker peak RSS: 100,000 messages ${peaks[0]! >> 20} MB, 1,000,000 messages ${peaks[1]! >> 20} MB`,
    );
    // Ten times the messages: a queue without bound would hold about 900,000 more, each with its
    // Message, payload view and Outgoing (over 300 B: 270 MB; a third of that is still 90 MB).
    // What V8's heap sizing adds with a run's length is noise of its own, in either direction
    // (measured, 100,000 then 1,000,000: Node 20 68 and 69 MB; Node 24 alone 93/82, 92/81, 81/84
    // and 84/109 MB, with the rest of the suite running 95/107 and 82/110 MB): at most 28 MB.
    expect(peaks[1]! - peaks[0]!).toBeLessThan(45 * 2 ** 20);
  }, 700_000);

  it('a subscriber that stops reading holds a publisher at most flow_control_max_pause, and stays attached', async () => {
    const broker = await mqx(['-c', writeConf('flow_control_max_pause 2\n')]);
    const stopped = await slowClient(broker.port, 'hostage/t', { perTick: 0, tickMs: 0 });
    stopped.socket.pause();
    const reader = mosquittoSub(broker.port, 'hostage/t', 20_000, 60);
    await sleep(300);
    const { file, lines } = linesFile(20_000);
    const t0 = Date.now();
    const pub = await execa('sh', ['-c', `mosquitto_pub -p ${broker.port} -t hostage/t -q 1 -l < ${file}`], {
      reject: false,
    });
    const took = Date.now() - t0;
    expect(pub.exitCode).toBe(0);
    expect(took).toBeLessThan(2_000 + 8_000);
    expect(
      String((await reader).stdout)
        .split('\n')
        .filter(Boolean),
    ).toEqual(lines);
    expect(stopped.closed).toBe(false);
    expect(broker.log.join('\n')).toMatch(/released from flow control/);
    stopped.end();
  }, 60_000);
});

function writeConf(extra: string, port?: number): string {
  const file = path.join(tempDir('mqx-flow-conf-'), 'mqx.conf');
  writeFileSync(file, `listener ${port ?? 0} 127.0.0.1\nallow_anonymous true\n${extra}`);
  return file;
}

describe('no deadlock', () => {
  it('a slow reader subscribed to its own topic gets all it published', async () => {
    const broker = await mqx();
    const self = await slowClient(broker.port, 'self/t', { perTick: 20, tickMs: 1 });
    for (let i = 1; i <= 5_000; i++) self.publish('self/t', `m${i}`, 1, i);
    await self.waitFor(5_000, 30_000);
    expect(self.payloads).toEqual(Array.from({ length: 5_000 }, (_, i) => `m${i + 1}`));
    for (let i = 0; i < 100 && self.acked.size < 5_000; i++) await sleep(50);
    expect(self.acked.size).toBe(5_000);
    self.end();
  }, 60_000);

  it('two slow clients publishing to each other both get everything', async () => {
    const broker = await mqx();
    const a = await slowClient(broker.port, 'to/a', { perTick: 10, tickMs: 1 });
    const b = await slowClient(broker.port, 'to/b', { perTick: 10, tickMs: 1 });
    for (let i = 1; i <= 4_000; i++) {
      a.publish('to/b', `a${i}`, 1, i);
      b.publish('to/a', `b${i}`, 1, i);
    }
    await Promise.all([a.waitFor(4_000, 40_000), b.waitFor(4_000, 40_000)]);
    expect(a.payloads).toEqual(Array.from({ length: 4_000 }, (_, i) => `b${i + 1}`));
    expect(b.payloads).toEqual(Array.from({ length: 4_000 }, (_, i) => `a${i + 1}`));
    expect(broker.log.join('\n')).not.toMatch(/released from flow control|being dropped/);
    a.end();
    b.end();
  }, 60_000);

  it('two mqx brokers joined by a both bridge, overloaded both ways, deliver everything', async () => {
    const p2 = await freePort();
    const two = await mqx(['-c', writeConf('', p2)]);
    const one = await mqx([
      '-c',
      writeConf(`connection both\naddress 127.0.0.1:${two.port}\ntopic load/# both 1\n`),
    ]);
    await sleep(1_000);
    const onTwo = await slowClient(two.port, 'load/from1', { perTick: 20, tickMs: 1 });
    const onOne = await slowClient(one.port, 'load/from2', { perTick: 20, tickMs: 1 });
    await sleep(500);
    const n = 10_000;
    for (let i = 1; i <= n; i++) {
      onOne.publish('load/from1', `x${i}`, 1, (i % 65535) + 1);
      onTwo.publish('load/from2', `y${i}`, 1, (i % 65535) + 1);
    }
    await Promise.all([onTwo.waitFor(n, 60_000), onOne.waitFor(n, 60_000)]);
    expect(onTwo.payloads).toEqual(Array.from({ length: n }, (_, i) => `x${i + 1}`));
    expect(onOne.payloads).toEqual(Array.from({ length: n }, (_, i) => `y${i + 1}`));
    onOne.end();
    onTwo.end();
  }, 90_000);

  it.runIf(peers.mosquittoClients())(
    'a publisher with keep-alive 5 s held back for 20 s stays connected',
    async () => {
      const broker = await mqx(['-c', writeConf('flow_control_max_pause 60\n')]);
      const reader = await slowClient(broker.port, 'held/t', { perTick: 0, tickMs: 0 });
      reader.socket.pause();
      const { file } = linesFile(3_000);
      const pub = execa('sh', ['-c', `mosquitto_pub -p ${broker.port} -k 5 -t held/t -q 1 -l < ${file}`], {
        reject: false,
      });
      await sleep(20_000);
      expect(pub.exitCode).toBeNull();
      const catchUp = await slowClient(broker.port, 'held/t', { perTick: 1000, tickMs: 1 });
      reader.end();
      const done = await pub;
      expect(done.exitCode, String(done.stderr)).toBe(0);
      expect(broker.log.join('\n')).not.toMatch(/exceeded timeout|mosq.*disconnected:/);
      catchUp.end();
    },
    60_000,
  );

  it('the same over WebSocket: a keep-alive 5 s MQTT.js publisher held back for 20 s stays connected', async () => {
    const ws = await freePort();
    const broker = await mqx([
      '-c',
      writeConf(`flow_control_max_pause 60\nlistener ${ws} 127.0.0.1\nprotocol websockets\n`),
    ]);
    const reader = await slowClient(broker.port, 'wsheld/t', { perTick: 0, tickMs: 0 });
    reader.socket.pause();
    const client = await mqtt.connectAsync(`ws://127.0.0.1:${ws}`, { keepalive: 5, reconnectPeriod: 0 });
    let closed = false;
    client.on('close', () => {
      closed = true;
    });
    const sent = Promise.all(
      Array.from({ length: 3_000 }, (_, i) => client.publishAsync('wsheld/t', `w${i}`, { qos: 1 })),
    );
    await sleep(20_000);
    expect(closed).toBe(false);
    const catchUp = await slowClient(broker.port, 'wsheld/t', { perTick: 1000, tickMs: 1 });
    reader.end();
    await sent;
    expect(closed).toBe(false);
    await client.endAsync();
    catchUp.end();
  }, 60_000);
});

describe.runIf(peers.mosquittoClients())('retained replay', () => {
  it('a new QoS 1 subscriber to # gets all 10,000 retained messages', async () => {
    const broker = await mqx();
    const publisher = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.port}`);
    await Promise.all(
      Array.from({ length: 10_000 }, (_, i) =>
        publisher.publishAsync(`ret/${i}`, `r${i}`, { qos: 1, retain: true }),
      ),
    );
    await publisher.endAsync();
    const sub = await execa(
      'mosquitto_sub',
      ['-p', String(broker.port), '-t', 'ret/#', '-q', '1', '-C', '10000', '-W', '30', '-v'],
      { reject: false, stdin: 'ignore' },
    );
    const topics = new Set(
      String(sub.stdout)
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split(' ')[0]),
    );
    expect(topics.size).toBe(10_000);
  }, 60_000);
});

describe('MQTT 5 Receive Maximum', () => {
  it('is advertised in CONNACK (max_inflight_messages, 20 by default)', async () => {
    const broker = await mqx();
    const client = mqtt.connect(`mqtt://127.0.0.1:${broker.port}`, { protocolVersion: 5 });
    const connack = await new Promise<mqtt.IConnackPacket>((resolve) => client.once('connect', resolve));
    expect(connack.properties?.receiveMaximum).toBe(20);
    await client.endAsync();
  });

  it('RM+1 QoS 2 PUBLISHes left without PUBREL get DISCONNECT 0x93', async () => {
    const broker = await mqx();
    const raw = await RawClient.connect(broker.port, { protocolVersion: 5 });
    for (let i = 1; i <= 21; i++)
      raw.send({
        type: 'publish',
        topic: 'rm/t',
        payload: Buffer.from('x'),
        qos: 2,
        retain: false,
        dup: false,
        packetId: i,
      });
    const disconnect = await raw.next('disconnect', 6_000);
    expect(disconnect.reasonCode).toBe(0x93);
    await raw.expectClosed();
  });

  it('a client whose Receive Maximum is 1 never has two messages in flight', async () => {
    const broker = await mqx();
    const one = await slowClient(broker.port, 'rm1/t', {
      perTick: 1,
      tickMs: 5,
      version: 5,
      receiveMaximum: 1,
    });
    const pub = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.port}`);
    await Promise.all(Array.from({ length: 100 }, (_, i) => pub.publishAsync('rm1/t', `m${i}`, { qos: 1 })));
    await one.waitFor(100, 10_000);
    expect(one.maxInFlight).toBe(1);
    await pub.endAsync();
    one.end();
  });

  describe.runIf(peers.mosquittoClients() && peers.paho())(
    'bursts of 10,000 QoS 2 are never disconnected',
    () => {
      const N = 10_000;
      async function counted(port: number, run: () => Promise<void>) {
        const sub = execa(
          'mosquitto_sub',
          ['-p', String(port), '-t', 'burst/t', '-q', '2', '-C', String(N), '-W', '60'],
          {
            reject: false,
            stdin: 'ignore',
          },
        );
        await sleep(300);
        const t0 = Date.now();
        await run();
        const got = String((await sub).stdout)
          .split('\n')
          .filter(Boolean).length;
        return { got, ms: Date.now() - t0 };
      }
      it.each([
        ['MQTT.js 5', 5],
        ['MQTT.js 3.1.1', 4],
      ] as const)(
        '%s',
        async (_name, version) => {
          const broker = await mqx();
          const r = await counted(broker.port, async () => {
            const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.port}`, {
              protocolVersion: version,
              reconnectPeriod: 0,
            });
            let closed = false;
            c.on('close', () => {
              closed = true;
            });
            await Promise.all(
              Array.from({ length: N }, (_, i) => c.publishAsync('burst/t', `q${i}`, { qos: 2 })),
            );
            expect(closed).toBe(false);
            await c.endAsync();
          });
          console.log(`${_name}: ${N} QoS 2 in ${r.ms} ms, ${r.got} delivered`);
          expect(r.got).toBe(N);
          expect(broker.log.join('\n')).not.toMatch(/receive maximum exceeded/);
        },
        90_000,
      );
      it('paho-mqtt 1.6 (3.1.1)', async () => {
        const broker = await mqx();
        const script = [
          'import sys, paho.mqtt.client as mqtt',
          'c = mqtt.Client(client_id="paho-burst")',
          'c.connect("127.0.0.1", int(sys.argv[1]), 60)',
          'c.loop_start()',
          `infos = [c.publish("burst/t", "p%d" % i, qos=2) for i in range(${N})]`,
          'for i in infos: i.wait_for_publish()',
          'c.disconnect()',
          'c.loop_stop()',
        ].join('\n');
        const r = await counted(broker.port, async () => {
          const p = await execa(PYTHON, ['-c', script, String(broker.port)], {
            reject: false,
            timeout: 60_000,
          });
          expect(p.exitCode, String(p.stderr)).toBe(0);
        });
        console.log(`paho-mqtt: ${N} QoS 2 in ${r.ms} ms, ${r.got} delivered`);
        expect(r.got).toBe(N);
      }, 90_000);
      it('mosquitto_pub -l -V 5', async () => {
        const broker = await mqx();
        const { file } = linesFile(N);
        const r = await counted(broker.port, async () => {
          const p = await execa(
            'sh',
            ['-c', `mosquitto_pub -V 5 -p ${broker.port} -t burst/t -q 2 -l < ${file}`],
            {
              reject: false,
            },
          );
          expect(p.exitCode).toBe(0);
        });
        console.log(`mosquitto_pub -V 5: ${N} QoS 2 in ${r.ms} ms, ${r.got} delivered`);
        expect(r.got).toBe(N);
      }, 90_000);
    },
  );
});
