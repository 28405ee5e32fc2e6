/**
 * Benchmarks run after the scenarios: the cold start of one-shot publishers (benchmarks/cold-start.ts,
 * a script), persistence on/off throughput (benchmarks/persistence.ts) and one broker against a
 * three-node cluster (benchmarks/cluster.ts). A broken one is reported, never fatal to the scenario
 * results.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './paths.js';

export interface ExtraResult {
  name: string;
  status: 'ok' | 'failed' | 'skipped';
  /** What to print. */
  output: string;
  /** Structured results for the JSON file, when the benchmark gives any. */
  results?: unknown;
}

/** The part of benchmarks/persistence.ts this run relies on. */
interface PersistenceModule {
  runPersistenceBench(options: { seconds: number }): Promise<unknown[]>;
  formatPersistenceBench(results: unknown[]): string;
}

export function coldStart(runs: number): ExtraResult {
  const script = path.join(ROOT, 'dist/benchmarks/cold-start.js');
  if (!existsSync(script))
    return { name: 'cold-start', status: 'skipped', output: 'dist/benchmarks/cold-start.js not built' };
  const r = spawnSync(process.execPath, [script, String(runs)], { encoding: 'utf8', timeout: 300_000 });
  const output = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim();
  // Exit code 1 means "over its target", still a measurement; anything else is a crash.
  const status = r.status === 0 || (r.status === 1 && output.includes('median')) ? 'ok' : 'failed';
  return { name: 'cold-start', status, output };
}

export async function persistence(seconds: number): Promise<ExtraResult> {
  const file = path.join(ROOT, 'dist/benchmarks/persistence.js');
  if (!existsSync(file))
    return { name: 'persistence', status: 'skipped', output: 'bench/persistence.ts not present' };
  const mod = (await import(file)) as Partial<PersistenceModule>;
  if (typeof mod.runPersistenceBench !== 'function' || typeof mod.formatPersistenceBench !== 'function') {
    return {
      name: 'persistence',
      status: 'skipped',
      output: 'bench/persistence.ts lacks runPersistenceBench()',
    };
  }
  try {
    const results = await mod.runPersistenceBench({ seconds });
    return { name: 'persistence', status: 'ok', output: mod.formatPersistenceBench(results), results };
  } catch (err) {
    return { name: 'persistence', status: 'failed', output: String(err) };
  }
}

export async function cluster(seconds: number): Promise<ExtraResult> {
  const { runClusterBench, formatClusterBench } = await import('./cluster.js');
  try {
    const results = await runClusterBench({ seconds });
    return { name: 'cluster', status: 'ok', output: formatClusterBench(results), results };
  } catch (err) {
    return { name: 'cluster', status: 'failed', output: String(err) };
  }
}
