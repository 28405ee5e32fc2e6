/**
 * `mqx bridge` keeps nothing that only it knows: a message is acknowledged to the broker it came
 * from only once the other broker acknowledged the forwarded copy. So kill -9 of the bridge while
 * the remote broker is down, mid-stream, loses nothing: what the bridge held unacknowledged, the
 * local broker sends again to the restarted bridge. mosquitto on both sides; QoS 1, so duplicates
 * are allowed, and counted.
 */
import { execa, type ResultPromise } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { Client } from '../../src/client/index.js';
import { MOSQUITTO, peers } from '../helpers/peers.js';
import { freePort, waitForPort } from '../helpers/ports.js';
import { type RunningBroker, startMosquitto, tempDir } from '../helpers/processes.js';
import {
  connect,
  pairArgs,
  persistentMosquittoConf,
  type RunningBridge,
  sleep,
  startMqxBridge,
  until,
} from './helpers.js';

const N = 3_000;

const cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step().catch(() => undefined);
});

/** A mosquitto that keeps its sessions in a store across restarts, on a port of its own. */
async function persistentMosquitto(): Promise<{ port: number; start(): Promise<{ proc: ResultPromise }> }> {
  const port = await freePort();
  const conf = persistentMosquittoConf(tempDir('mqx-kill-remote-'), port);
  return {
    port,
    async start() {
      const proc = execa(MOSQUITTO, ['-c', conf], { reject: false, stdin: 'ignore', buffer: false });
      cleanup.push(async () => {
        proc.kill('SIGKILL');
        await proc;
      });
      await waitForPort(port);
      // Wrapped: a ResultPromise is itself awaitable, and would resolve only when mosquitto exits.
      return { proc };
    },
  };
}

describe.runIf(peers.mosquitto())('mqx bridge killed with -9 while the remote is down', () => {
  it(`delivers all ${N.toLocaleString('en')} QoS 1 messages after it is restarted`, async () => {
    const local: RunningBroker = await startMosquitto('max_queued_messages 0');
    cleanup.push(() => local.stop());
    const remote = await persistentMosquitto();
    let remoteProc = (await remote.start()).proc;
    const args = pairArgs(local.port, remote.port, 'kill-remote', ['k/# out 1']);
    const bridge = (): RunningBridge => {
      const b = startMqxBridge(args);
      cleanup.push(() => b.stop());
      return b;
    };

    const seen = new Map<string, number>();
    const sub = new Client({
      broker: { scheme: 'mqtt', host: '127.0.0.1', port: remote.port },
      clientId: 'kill-subscriber',
      clean: false,
      reconnect: { minDelayMs: 200, maxDelayMs: 500 },
      connectTimeoutMs: 60_000,
    });
    cleanup.push(() => sub.end());
    sub.on('message', (p) => {
      if (p.topic.startsWith('k/')) seen.set(p.payload.toString(), (seen.get(p.payload.toString()) ?? 0) + 1);
    });
    await sub.connect();
    await sub.subscribe([{ topicFilter: 'k/#', qos: 1 }]);

    const first = bridge();
    const watch = await connect(remote.port);
    await watch.client.subscribe([{ topicFilter: '$SYS/broker/connection/kill-remote/state', qos: 1 }]);
    await until(() => watch.received.some((p) => p.payload.toString() === '1'), 15_000, 'the bridge up');
    await watch.client.end();

    const pub = await connect(local.port);
    cleanup.push(() => pub.client.end());
    const stream = (async () => {
      const started = Date.now();
      for (let i = 0; i < N; i++) {
        await pub.client.publish('k/stream', String(i), { qos: 1 });
        // About 4 s of stream, so that the outage and the kill fall in the middle of it.
        const ahead = started + (i * 4_000) / N - Date.now();
        if (ahead > 0) await sleep(ahead);
      }
    })();
    await until(() => seen.size > N / 5, 15_000, 'the stream crossing');
    remoteProc.kill('SIGTERM');
    await remoteProc;
    await sleep(500);
    first.proc.kill('SIGKILL');
    await first.proc;
    remoteProc = (await remote.start()).proc;
    const second = bridge();
    await stream;
    await until(() => seen.size === N, 60_000, 'every message').catch((err: Error) => {
      throw new Error(`${err.message}: ${seen.size} of ${N}\n${second.log.slice(-20).join('\n')}`);
    });
    const duplicates = [...seen.values()].filter((n) => n > 1).length;
    console.log(`mqx bridge kill -9: QoS 1 duplicates ${duplicates} of ${N}`);
    expect(seen.size).toBe(N);
  }, 120_000);
});
