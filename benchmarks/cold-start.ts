/**
 * Cold start of a one-shot publish: median wall time of `mqx pub -t t -m x` against
 * mosquitto_pub and MQTT.js's `mqtt pub`, all publishing to one local mosquitto. Runs are
 * interleaved so that machine load hits every tool alike. Target: mqx median < 150 ms.
 *
 *   npm run build && node dist/benchmarks/cold-start.js [runs=21]
 */
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { freePort, waitForPort } from '../test/helpers/ports.js';
import { launcherFlags, ROOT } from './paths.js';

const TARGET_MS = 150;
const runs = Number(process.argv[2] ?? 21);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function timeRun(cmd: string, args: string[]): number {
  const start = process.hrtime.bigint();
  const r = spawnSync(cmd, args, {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, NO_COLOR: '1' },
  });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return ms;
}

async function main(): Promise<void> {
  const port = await freePort();
  const broker = spawn('mosquitto', ['-p', String(port)], { stdio: 'ignore' });
  try {
    await waitForPort(port);
    // The same one-shot publish for every tool: mosquitto_pub takes these flags without `pub`.
    const pub = ['pub', '-h', '127.0.0.1', '-p', String(port), '-t', 't', '-m', 'x'];
    const tools: Array<{ name: string; cmd: string; args: string[] }> = [
      {
        name: 'mqx pub',
        cmd: process.execPath,
        args: [...launcherFlags(), path.join(ROOT, 'bin/mqx.js'), ...pub],
      },
      { name: 'mosquitto_pub', cmd: 'mosquitto_pub', args: pub.slice(1) },
      {
        name: 'MQTT.js mqtt pub',
        cmd: process.execPath,
        args: [path.join(ROOT, 'node_modules/mqtt/build/bin/mqtt.js'), ...pub],
      },
      { name: 'node -e 0 (floor)', cmd: process.execPath, args: ['-e', '0'] },
    ];
    const times = new Map(tools.map((t) => [t.name, [] as number[]]));
    for (const t of tools) timeRun(t.cmd, t.args); // warm the page cache
    for (let i = 0; i < runs; i++) {
      for (const t of tools) times.get(t.name)!.push(timeRun(t.cmd, t.args));
    }
    console.log(`cold start, median of ${runs} runs (ms):`);
    for (const t of tools) {
      const v = times.get(t.name)!;
      console.log(
        `  ${t.name.padEnd(20)} median ${median(v).toFixed(1).padStart(7)}   min ${Math.min(...v)
          .toFixed(1)
          .padStart(7)}`,
      );
    }
    const mqx = median(times.get('mqx pub')!);
    console.log(
      `mqx pub median ${mqx.toFixed(1)} ms: ${mqx < TARGET_MS ? 'within' : 'OVER'} the ${TARGET_MS} ms target`,
    );
    process.exitCode = mqx < TARGET_MS ? 0 : 1;
  } finally {
    broker.kill();
  }
}

await main();
