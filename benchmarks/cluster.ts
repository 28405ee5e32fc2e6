import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import { freePort, waitForPort } from '../test/helpers/ports.js';
import { DEFAULTS, measure, type PersistenceBenchOptions } from './persistence.js';

/*
 * `node dist/benchmarks/cluster.js`: QoS 1 throughput and latency through one mqx broker, and through a
 * three-node mqx cluster on Debian's redis-server with the publishers on one node and the
 * persistent subscriber on another, so every message crosses Redis. Also counts the commands
 * Redis executed per message delivered. The load is benchmarks/persistence.ts's: publishers keeping a
 * window of unacknowledged QoS 1 messages, one persistent subscriber acknowledging at once.
 */

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface ClusterBenchResult {
  name: string;
  messagesPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Commands Redis executed per message the subscriber received; undefined without Redis. */
  redisCommandsPerMessage: number | undefined;
}

function startNode(port: number, dir: string, redisUrl: string | undefined): ChildProcess {
  const conf = path.join(dir, `mqx-${port}.conf`);
  writeFileSync(conf, 'allow_anonymous true\nmax_inflight_messages 100\nmax_queued_messages 0\n');
  const cluster = redisUrl === undefined ? [] : ['--cluster', redisUrl];
  return spawn(
    process.execPath,
    [path.join(ROOT, 'bin/mqx.js'), 'broker', '-c', conf, '-p', String(port), ...cluster],
    { stdio: 'ignore', env: { ...process.env, NO_COLOR: '1' } },
  );
}

async function stop(procs: ChildProcess[]): Promise<void> {
  await Promise.all(
    procs.map((p) => {
      if (p.exitCode !== null) return undefined;
      p.kill('SIGTERM');
      return new Promise((resolve) => p.once('exit', resolve));
    }),
  );
}

async function commandsProcessed(redis: Redis): Promise<number> {
  const info = await redis.info('stats');
  return Number(/total_commands_processed:(\d+)/.exec(info)?.[1] ?? 0);
}

export async function runClusterBench(
  options: Partial<PersistenceBenchOptions> = {},
): Promise<ClusterBenchResult[]> {
  const o = { ...DEFAULTS, ...options };
  const results: ClusterBenchResult[] = [];
  const dir = mkdtempSync(path.join(tmpdir(), 'mqx-bench-cluster-'));
  const procs: ChildProcess[] = [];
  try {
    const single = await freePort();
    procs.push(startNode(single, dir, undefined));
    await waitForPort(single, 15_000);
    results.push({
      name: 'mqx, one broker',
      ...(await measure(single, single, o)),
      redisCommandsPerMessage: undefined,
    });
    await stop(procs.splice(0));

    if (spawnSync('sh', ['-c', 'command -v redis-server']).status !== 0) return results;
    const redisPort = await freePort();
    procs.push(
      spawn(
        'redis-server',
        ['--port', String(redisPort), '--bind', '127.0.0.1', '--dir', dir, '--save', ''],
        {
          stdio: 'ignore',
        },
      ),
    );
    await waitForPort(redisPort, 15_000);
    const url = `redis://127.0.0.1:${redisPort}`;
    const ports = [await freePort(), await freePort(), await freePort()];
    for (const port of ports) procs.push(startNode(port, dir, url));
    await Promise.all(ports.map((p) => waitForPort(p, 15_000)));
    const redis = new Redis(url);
    const before = await commandsProcessed(redis);
    const across = await measure(ports[0]!, ports[1]!, o);
    const commands = (await commandsProcessed(redis)) - before;
    const delivered = across.messagesPerSecond * (o.seconds + o.warmupSeconds);
    results.push({
      name: 'mqx, 3-node cluster, pub A -> sub B',
      ...across,
      redisCommandsPerMessage: commands / delivered,
    });
    redis.disconnect();
  } finally {
    await stop(procs);
    rmSync(dir, { recursive: true, force: true });
  }
  return results;
}

export function formatClusterBench(results: ClusterBenchResult[]): string {
  const lines = [
    'QoS 1, persistent subscriber: one broker against a 3-node cluster (publishers and subscriber on different nodes)',
  ];
  const base = results[0];
  for (const r of results) {
    const share =
      base && r !== base
        ? ` (${Math.round((r.messagesPerSecond / base.messagesPerSecond) * 100)}% of one broker)`
        : '';
    const ops =
      r.redisCommandsPerMessage === undefined
        ? ''
        : `  ${r.redisCommandsPerMessage.toFixed(2)} Redis commands/msg`;
    lines.push(
      `  ${r.name.padEnd(36)} ${Math.round(r.messagesPerSecond).toString().padStart(8)} msg/s  p50 ${r.p50Ms.toFixed(2)} ms  p99 ${r.p99Ms.toFixed(2)} ms${ops}${share}`,
    );
  }
  return lines.join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const seconds = Number(process.env.MQX_BENCH_SECONDS ?? DEFAULTS.seconds);
  runClusterBench({ seconds }).then(
    (results) => console.log(formatClusterBench(results)),
    (err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    },
  );
}
