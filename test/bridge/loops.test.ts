/**
 * Multi-hop loop prevention between `mqx broker` processes: three brokers joined in a triangle by
 * `both` rules over MQTT 5, one of them (x) with no bridge of its own, only the two that dial it.
 * Without the ids the triangle circulates every message without end (mqx up's test shows it on
 * 3.1.1); with them each broker delivers each message once.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePortRange } from '../helpers/ports.js';
import { type RunningBroker, startMqxBroker, tempDir } from '../helpers/processes.js';
import { connect, sleep, until } from './helpers.js';

const running: RunningBroker[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((b) => b.stop()));
});

function conf(dir: string, name: string, port: number, dials: Array<[string, number]>): string {
  const file = path.join(dir, `${name}.conf`);
  const bridges = dials.map(
    ([to, p]) =>
      `connection ${name}_${to}\naddress 127.0.0.1:${p}\ntopic lab/# both 1\nbridge_protocol_version mqttv50\nrestart_timeout 1\n`,
  );
  writeFileSync(file, `listener ${port} 127.0.0.1\nallow_anonymous true\n${bridges.join('')}`);
  return file;
}

describe('multi-hop loop prevention', () => {
  it('a triangle of mqx brokers with both rules on MQTT 5 delivers each message once to each broker', async () => {
    const base = await freePortRange(3);
    const [a, b, x] = [base, base + 1, base + 2];
    const dir = tempDir();
    const files = {
      x: conf(dir, 'x', x, []),
      b: conf(dir, 'b', b, [['x', x]]),
      a: conf(dir, 'a', a, [
        ['b', b],
        ['x', x],
      ]),
    };
    for (const file of [files.x, files.b, files.a]) running.push(await startMqxBroker(['-c', file]));
    const connected = (log: string[]) => log.filter((l) => /Bridge \S+: connected to/.test(l)).length;
    await until(
      () => connected(running[1]!.log) === 1 && connected(running[2]!.log) === 2,
      15_000,
      'the bridges',
    );
    const subs = await Promise.all([a, b, x].map((port) => connect(port)));
    await Promise.all(subs.map((s) => s.client.subscribe([{ topicFilter: 'lab/#', qos: 1 }])));
    await sleep(500);
    const pubs = await Promise.all([a, x].map((port) => connect(port)));
    try {
      for (let i = 0; i < 5; i++)
        for (const [j, p] of pubs.entries()) await p.client.publish(`lab/${j}`, `m${i}`, { qos: 1 });
      await until(() => subs.every((s) => s.received.length >= 10), 10_000, 'every message everywhere');
      await sleep(1000);
      for (const [i, s] of subs.entries()) {
        const got = s.received.map((p) => `${p.topic} ${p.payload}`).sort();
        expect(got, `broker ${['a', 'b', 'x'][i]}`).toEqual(
          ['lab/0', 'lab/1'].flatMap((t) => [0, 1, 2, 3, 4].map((n) => `${t} m${n}`)).sort(),
        );
      }
    } finally {
      await Promise.all([...subs, ...pubs].map((c) => c.client.end()));
    }
  }, 60_000);
});
