import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { BrokerLog } from '../../src/broker/log.js';
import { logReceived, logSent, logSentPublish } from '../../src/broker/packet-log.js';
import { defaultBrokerConfig } from '../../src/config/broker-config.js';
import { peers } from '../helpers/peers.js';
import { type RunningBroker, startMosquitto, startMqxBroker } from '../helpers/processes.js';

function collect(): { lines: string[]; sink: { debug(line: string): void } } {
  const lines: string[] = [];
  return { lines, sink: { debug: (line) => lines.push(line) } };
}

describe('packet log lines', () => {
  it('words every QoS 2 step as mosquitto 2.0 does', () => {
    const { lines, sink } = collect();
    const payload = Buffer.from('hello');
    logReceived(sink, 'pub', {
      type: 'publish',
      topic: 'a/b',
      payload,
      qos: 2,
      retain: false,
      dup: false,
      packetId: 1,
    });
    logSent(sink, 'pub', { type: 'pubrec', packetId: 1 });
    logReceived(sink, 'pub', { type: 'pubrel', packetId: 1 });
    logSent(sink, 'pub', { type: 'pubcomp', packetId: 1 });
    logSentPublish(sink, 'sub', { dup: true, qos: 2, retain: true, packetId: 7, topic: 'a/b', bytes: 5 });
    logReceived(sink, 'sub', { type: 'pubcomp', packetId: 7 });
    expect(lines).toEqual([
      "Received PUBLISH from pub (d0, q2, r0, m1, 'a/b', ... (5 bytes))",
      'Sending PUBREC to pub (m1, rc0)',
      'Received PUBREL from pub (Mid: 1)',
      'Sending PUBCOMP to pub (m1)',
      "Sending PUBLISH to sub (d1, q2, r1, m7, 'a/b', ... (5 bytes))",
      'Received PUBCOMP from sub (Mid: 7, RC:0)',
    ]);
  });

  it('reports the will before CONNACK, and resolves a topic alias', () => {
    const { lines, sink } = collect();
    const will = { topic: 'w', payload: Buffer.from('bye'), qos: 1 as const, retain: false };
    logSent(sink, 'c', { type: 'connack', sessionPresent: true, reasonCode: 0 }, will);
    logReceived(
      sink,
      'c',
      {
        type: 'publish',
        topic: '',
        payload: Buffer.alloc(0),
        qos: 0,
        retain: false,
        dup: false,
        properties: { topicAlias: 3 },
      },
      new Map([[3, 'long/topic']]),
    );
    logReceived(sink, 'c', { type: 'connect' } as never);
    expect(lines).toEqual([
      'Will message specified (3 bytes) (r0, q1).',
      '\tw',
      'Sending CONNACK to c (1, 0)',
      "Received PUBLISH from c (d0, q0, r0, m0, 'long/topic', ... (0 bytes))",
    ]);
  });

  it('is off unless the debug type is (-v turns it on)', () => {
    const settings = { ...defaultBrokerConfig().log, destinations: [{ kind: 'none' as const }] };
    expect(new BrokerLog(settings).packets).toBe(false);
    expect(new BrokerLog({ ...settings, verbose: true }).packets).toBe(true);
  });
});

/**
 * Each client's packet lines in order, without time stamps: a line names its client, and the
 * tab-indented filter lines belong to the SUBSCRIBE line before them.
 */
function packetLines(log: string[]): Map<string, string[]> {
  const byClient = new Map<string, string[]>();
  let last: string[] | undefined;
  for (const raw of log) {
    const line = raw.replace(/^\d+: /, '');
    const m = /^(?:Received \w+ from|Sending \w+ to) (\S+)/.exec(line);
    if (m) {
      last = byClient.get(m[1]!) ?? [];
      byClient.set(m[1]!, last);
      last.push(line);
    } else if (line.startsWith('\t') && last) {
      last.push(line);
    }
  }
  return byClient;
}

async function waitForLine(log: string[], text: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!log.some((l) => l.includes(text))) {
    if (Date.now() > deadline) throw new Error(`no "${text}" in:\n${log.join('\n')}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** mosquitto_sub -q 2 -C 1 receives one QoS 2 message from mosquitto_pub -q 2. */
async function qos2Exchange(broker: RunningBroker): Promise<Map<string, string[]>> {
  const port = String(broker.port);
  const sub = execa('mosquitto_sub', ['-p', port, '-t', 'a/#', '-q', '2', '-C', '1', '-i', 'subber'], {
    reject: false,
  });
  await waitForLine(broker.log, 'Sending SUBACK to subber');
  await execa('mosquitto_pub', ['-p', port, '-t', 'a/b', '-m', 'hello', '-q', '2', '-i', 'pubber']);
  expect((await sub).stdout).toBe('hello');
  await waitForLine(broker.log, 'Received DISCONNECT from subber');
  await waitForLine(broker.log, 'Received DISCONNECT from pubber');
  return packetLines(broker.log);
}

describe.skipIf(!peers.mosquitto() || !peers.mosquittoClients())('mqx broker -v against mosquitto -v', () => {
  const brokers: RunningBroker[] = [];
  afterEach(async () => {
    await Promise.all(brokers.splice(0).map((b) => b.stop()));
  });

  it('logs the same packet lines per connection for a QoS 2 exchange', async () => {
    const mosquitto = await startMosquitto('log_type all\nlog_dest stderr');
    brokers.push(mosquitto);
    const mqx = await startMqxBroker(['-v']);
    brokers.push(mqx);
    const expected = await qos2Exchange(mosquitto);
    const actual = await qos2Exchange(mqx);
    expect(expected.get('pubber')).toEqual([
      'Sending CONNACK to pubber (0, 0)',
      "Received PUBLISH from pubber (d0, q2, r0, m1, 'a/b', ... (5 bytes))",
      'Sending PUBREC to pubber (m1, rc0)',
      'Received PUBREL from pubber (Mid: 1)',
      'Sending PUBCOMP to pubber (m1)',
      'Received DISCONNECT from pubber',
    ]);
    expect(actual.get('pubber')).toEqual(expected.get('pubber'));
    expect(actual.get('subber')).toEqual(expected.get('subber'));
    expect(actual.get('subber')).toContain('Sending PUBREL to subber (m1)');
  });
});
