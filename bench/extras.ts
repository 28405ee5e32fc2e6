/**
 * Benchmarks other engineers own, run after the scenarios when they are present: the cold start
 * of one-shot publishers (bench/cold-start.ts, a script) and persistence on/off throughput
 * (bench/persistence.ts). The persistence hook: that module exports
 * `runPersistence(): Promise<unknown>` resolving to a JSON-serialisable result (and may print its
 * own table); until it does, the run says it was skipped.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './paths.js';

export interface ExtraResult {
  name: string;
  status: 'ok' | 'failed' | 'skipped';
  output: unknown;
}

export function coldStart(runs: number): ExtraResult {
  const script = path.join(ROOT, 'dist/bench/cold-start.js');
  if (!existsSync(script)) return { name: 'cold-start', status: 'skipped', output: 'dist/bench/cold-start.js not built' };
  const r = spawnSync(process.execPath, [script, String(runs)], { encoding: 'utf8', timeout: 300_000 });
  const output = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim();
  // Exit code 1 means "over its target", still a measurement; anything else is a crash.
  const status = r.status === 0 || (r.status === 1 && output.includes('median')) ? 'ok' : 'failed';
  return { name: 'cold-start', status, output };
}

export async function persistence(): Promise<ExtraResult> {
  const file = path.join(ROOT, 'dist/bench/persistence.js');
  if (!existsSync(file)) return { name: 'persistence', status: 'skipped', output: 'bench/persistence.ts not present' };
  const mod = (await import(file)) as { runPersistence?: () => Promise<unknown> };
  if (typeof mod.runPersistence !== 'function') {
    return { name: 'persistence', status: 'skipped', output: 'bench/persistence.ts does not export runPersistence()' };
  }
  try {
    return { name: 'persistence', status: 'ok', output: await mod.runPersistence() };
  } catch (err) {
    return { name: 'persistence', status: 'failed', output: String(err) };
  }
}
