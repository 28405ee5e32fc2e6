/**
 * Lossless through an outage: the remote broker (mosquitto, with persistence so that the
 * subscriber's session survives) is stopped for 10 s while 10,000 QoS 1 and 10,000 QoS 2 messages
 * stream into an mqx broker that bridges them out. Every message must arrive: QoS 2 exactly once,
 * QoS 1 at least once (duplicates are counted and reported).
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { Client } from '../../src/client/index.js';
import { MOSQUITTO, peers } from '../helpers/peers.js';
import { freePort, waitForPort } from '../helpers/ports.js';
import { type RunningBroker, startMqxBroker, tempDir } from '../helpers/processes.js';
import { persistentMosquittoConf, sleep, until } from './helpers.js';

const N = 10_000;
const OUTAGE_MS = 10_000;

let remote: ResultPromise | undefined;
let local: RunningBroker | undefined;
afterAll(async () => {
  remote?.kill('SIGKILL');
  await local?.stop();
});

function startRemote(conf: string): ResultPromise {
  return execa(MOSQUITTO, ['-c', conf], { reject: false, stdin: 'ignore', buffer: false });
}

describe.runIf(peers.mosquitto())('a bridge through a 10 s outage of its remote broker', () => {
  it('delivers all 10,000 QoS 1 (at least once) and 10,000 QoS 2 (exactly once) messages', async () => {
    const dir = tempDir('mqx-outage-');
    const remotePort = await freePort();
    const localPort = await freePort();
    const remoteConf = persistentMosquittoConf(dir, remotePort);
    const localConf = path.join(dir, 'local.conf');
    writeFileSync(
      localConf,
      [
        `listener ${localPort} 127.0.0.1`,
        'allow_anonymous true',
        'connection outage',
        `address 127.0.0.1:${remotePort}`,
        'topic stream/# out 2',
        'restart_timeout 1',
        '',
      ].join('\n'),
    );
    remote = startRemote(remoteConf);
    await waitForPort(remotePort);
    local = await startMqxBroker(['-c', localConf]);

    const seen = { 1: new Map<string, number>(), 2: new Map<string, number>() };
    const sub = new Client({
      broker: { scheme: 'mqtt', host: '127.0.0.1', port: remotePort },
      clientId: 'outage-subscriber',
      clean: false,
      reconnect: { minDelayMs: 200, maxDelayMs: 500 },
      connectTimeoutMs: 60_000,
    });
    sub.on('message', (p) => {
      const map = p.topic === 'stream/q1' ? seen[1] : seen[2];
      const key = p.payload.toString();
      map.set(key, (map.get(key) ?? 0) + 1);
    });
    await sub.connect();
    await sub.subscribe([{ topicFilter: 'stream/#', qos: 2 }]);

    const pub = await Client.connect({ broker: { scheme: 'mqtt', host: '127.0.0.1', port: localPort } });
    // Let the bridge connect before the stream starts.
    await sleep(1500);
    const stream = (async () => {
      const started = Date.now();
      for (let i = 0; i < N; i++) {
        await Promise.all([
          pub.publish('stream/q1', String(i), { qos: 1 }),
          pub.publish('stream/q2', String(i), { qos: 2 }),
        ]);
        // About 20 s of stream, so that the outage falls in the middle of it.
        const ahead = started + (i * 20_000) / N - Date.now();
        if (ahead > 0) await sleep(ahead);
      }
    })();
    await sleep(4_000);
    remote.kill('SIGTERM');
    await remote;
    await sleep(OUTAGE_MS);
    remote = startRemote(remoteConf);
    await stream;
    await until(
      () => seen[1].size === N && seen[2].size === N,
      60_000,
      'every message after the outage',
    ).catch((err: Error) => {
      throw new Error(
        `${err.message}: QoS 1 ${seen[1].size}, QoS 2 ${seen[2].size} of ${N}\n${local?.log.slice(-30).join('\n')}`,
      );
    });
    await sleep(500);
    const duplicates = [...seen[1].values()].filter((n) => n > 1).length;
    console.log(`outage: QoS 1 duplicates ${duplicates} of ${N}`);
    expect(seen[1].size).toBe(N);
    expect(seen[2].size).toBe(N);
    expect([...seen[2].values()].every((n) => n === 1)).toBe(true);
    await pub.end();
    await sub.end();
    expect(local.log.join('\n')).toMatch(/Bridge outage: connection lost/);
  }, 120_000);
});
