/**
 * What an observer registered on every broker event costs: the same broker with none and with a
 * no-op observer on every event (bench/hooks-broker.ts), started the way the mqx launcher starts
 * it, alternating round by round so machine drift hits both alike. Medians of deliveries/s.
 *
 *   npm run build && node dist/benchmarks/hooks.js [--rounds N]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_LOAD_OPTIONS, type LoadOptions, LoadRun } from '../src/loadgen/load.js';
import { launcherFlags } from './paths.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const rounds = Number(process.argv[process.argv.indexOf('--rounds') + 1]) || 5;

async function startBroker(observed: boolean): Promise<{ port: number; proc: ChildProcess }> {
  const args = [...launcherFlags(), path.join(here, 'hooks-broker.js')];
  const proc = spawn(process.execPath, observed ? [...args, 'observed'] : args, {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve) =>
    proc.stdout!.once('data', (d: Buffer) => resolve(Number(d))),
  );
  return { port, proc };
}

const SCENARIOS: Array<{ name: string; o: Partial<LoadOptions> }> = [
  {
    name: 'fan-in 10→1 QoS 1',
    o: { clients: 10, subscribers: 1, topic: 'b/%i', filter: 'b/+', qos: 1, limit: 20_000 },
  },
  {
    name: 'fan-out 1→50 QoS 0',
    o: { clients: 1, subscribers: 50, topic: 'b/f', filter: 'b/f', qos: 0, limit: 20_000 },
  },
];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

for (const { name, o } of SCENARIOS) {
  const results: Record<'none' | 'observed', number[]> = { none: [], observed: [] };
  for (let r = 0; r < rounds; r++) {
    for (const observed of r % 2 === 0 ? [false, true] : [true, false]) {
      const b = await startBroker(observed);
      const s = await new LoadRun({
        ...DEFAULT_LOAD_OPTIONS,
        mode: 'pubsub',
        connection: {
          broker: { scheme: 'mqtt', host: '127.0.0.1', port: b.port },
          protocolVersion: 4,
          keepalive: 60,
        },
        drainTimeoutMs: 10_000,
        ...o,
      }).run();
      if (s.lost > 0 || s.errors > 0) throw new Error(`${name}: ${s.lost} lost, ${s.errors} errors`);
      results[observed ? 'observed' : 'none'].push(s.receivedPerSecond);
      b.proc.kill('SIGTERM');
      await new Promise((resolve) => b.proc.once('exit', resolve));
    }
  }
  const none = median(results.none);
  const observed = median(results.observed);
  console.log(
    `${name}: none ${Math.round(none)} msg/s, no-op observer on every event ${Math.round(observed)} msg/s (${((observed / none - 1) * 100).toFixed(1)}%; rounds: none ${results.none.map(Math.round).join(', ')}; observed ${results.observed.map(Math.round).join(', ')})`,
  );
}
