/**
 * `npm run bench`: every scenario against mqx, Debian's mosquitto and Aedes, and against the two
 * references of benchmarks/baselines.ts where they apply (the sink for throughput, the bare net
 * server for idle connections), each started fresh per measurement on its own loopback port and
 * pinned to CPU 1 while this process (the load generator) runs on CPU 0. Brokers alternate within
 * each round (mqx, mosquitto, aedes, mqx, ...), so slow drift in machine load hits all of them
 * alike; the table shows medians over rounds, three by default because the latency targets ask
 * for several. Results go to benchmarks/results/<timestamp>.json. Any loss, duplication,
 * reordering or error fails the run (exit 1) whatever the speed.
 *
 *   node dist/benchmarks/run.js [--quick] [--rounds N] [--only id,id]
 *                          [--brokers mqx,mosquitto,aedes,sink,netserver] [--profile] [--no-extras]
 *
 * --profile runs only mqx, under `node --cpu-prof`, and prints the top self-time functions of
 * each scenario's broker profile.
 */
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { benchArgs } from './args.js';
import { BROKERS, type BrokerName, hasTaskset, pinSelf, startBroker } from './brokers.js';
import { cluster, coldStart, type ExtraResult, persistence } from './extras.js';
import { ROOT } from './paths.js';
import { formatHot, type HotFunction, summariseFile } from './profile-summary.js';
import { type RoundSetup, SCENARIOS, type Scenario, type Size } from './scenarios.js';
import { buildRows, formatTable } from './table.js';
import { TARGETS } from './targets.js';

interface RunRecord {
  scenario: string;
  broker: BrokerName;
  round: number;
  metrics: Record<string, number>;
  problems: string[];
  error?: string;
}

const args = benchArgs(
  {
    quick: { type: 'boolean', default: false },
    rounds: { type: 'string', default: '3' },
    only: { type: 'string' },
    brokers: { type: 'string' },
    profile: { type: 'boolean', default: false },
    'no-extras': { type: 'boolean', default: false },
  },
  'usage: node dist/benchmarks/run.js [--quick] [--rounds N] [--only id,id]\n' +
    '         [--brokers mqx,mosquitto,aedes,sink,netserver] [--profile] [--no-extras]',
);

const PROFILED = ['fan-in-q0', 'fan-in-q1', 'fan-out-q0'];
const size: Size = args.quick ? 'quick' : 'full';
const rounds = Math.max(1, Number(args.rounds));
const only = args.only?.split(',') ?? (args.profile ? PROFILED : undefined);
const scenarios = SCENARIOS.filter((s) => only === undefined || only.includes(s.id));
const brokers = args.profile
  ? (['mqx'] as BrokerName[])
  : ((args.brokers?.split(',') ?? [...BROKERS]) as BrokerName[]).filter((b) => BROKERS.includes(b));
const stamp = new Date().toISOString().replace(/[:.]/g, '-');
const resultsDir = path.join(ROOT, 'benchmarks/results');
const work = mkdtempSync(path.join(os.tmpdir(), 'mqx-bench-'));

function median(values: number[]): number {
  const v = values.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  if (v.length === 0) return Number.NaN;
  const mid = v.length >> 1;
  return v.length % 2 === 1 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
}

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

async function measure(
  scenario: Scenario,
  broker: BrokerName,
  round: number,
  setup: RoundSetup,
): Promise<RunRecord> {
  const profileDir = args.profile ? path.join(resultsDir, 'profiles', stamp, scenario.id) : undefined;
  const proc = await startBroker(broker, { dir: work, ...(profileDir ? { cpuProfileDir: profileDir } : {}) });
  try {
    const m = await scenario.run(proc, size, setup);
    return { scenario: scenario.id, broker, round, ...m };
  } catch (err) {
    return { scenario: scenario.id, broker, round, metrics: {}, problems: [], error: (err as Error).message };
  } finally {
    await proc.stop();
  }
}

/** The round's setup, or the error that leaves every broker of the round without a measurement. */
async function prepare(scenario: Scenario): Promise<RoundSetup | Error> {
  if (scenario.prepare === undefined) return {};
  try {
    const setup = await scenario.prepare((name) => startBroker(name, { dir: work }), size);
    log(`  ${scenario.id}: ${JSON.stringify(setup)}`);
    return setup;
  } catch (err) {
    return err as Error;
  }
}

async function main(): Promise<void> {
  const pinned = hasTaskset() && pinSelf();
  log(
    `mqx bench: ${scenarios.length} scenarios × ${brokers.join(', ')} × ${rounds} rounds (${size})` +
      (pinned ? '; generator on CPU 0, brokers on CPU 1' : '; taskset unavailable: nothing pinned'),
  );
  const records: RunRecord[] = [];
  for (const s of scenarios) {
    const applicable = brokers.filter((b) => s.brokers.includes(b));
    for (let round = 1; round <= rounds; round++) {
      const setup = applicable.length > 0 ? await prepare(s) : {};
      for (const b of applicable) {
        const r =
          setup instanceof Error
            ? { scenario: s.id, broker: b, round, metrics: {}, problems: [], error: setup.message }
            : await measure(s, b, round, setup);
        records.push(r);
        const metrics = Object.entries(r.metrics)
          .map(([k, v]) => `${k}=${Number.isFinite(v) ? Number(v.toPrecision(4)) : v}`)
          .join(' ');
        const trouble = r.error
          ? ` ERROR ${r.error}`
          : r.problems.length > 0
            ? ` FAILED: ${r.problems.join('; ')}`
            : '';
        log(`  ${s.id} round ${round} ${b}: ${metrics}${trouble}`);
      }
    }
  }

  const medians = new Map<string, Partial<Record<BrokerName, Record<string, number>>>>();
  const failures = new Map<string, Partial<Record<BrokerName, boolean>>>();
  for (const s of scenarios) {
    const perBroker: Partial<Record<BrokerName, Record<string, number>>> = {};
    const failed: Partial<Record<BrokerName, boolean>> = {};
    for (const b of brokers.filter((name) => s.brokers.includes(name))) {
      const mine = records.filter((r) => r.scenario === s.id && r.broker === b);
      perBroker[b] = Object.fromEntries(
        s.metrics.map((m) => [m.key, median(mine.map((r) => r.metrics[m.key] ?? Number.NaN))]),
      );
      failed[b] = mine.some((r) => r.error !== undefined || r.problems.length > 0);
    }
    medians.set(s.id, perBroker);
    failures.set(s.id, failed);
  }
  const rows = buildRows(scenarios, medians, failures, TARGETS);
  process.stdout.write(`\n${formatTable(rows, brokers)}\n`);

  const profiles: Record<string, HotFunction[][]> = {};
  if (args.profile) {
    for (const s of scenarios) {
      const dir = path.join(resultsDir, 'profiles', stamp, s.id);
      const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
      // One profile per round.
      const hot = files.map((f) => summariseFile(path.join(dir, f)));
      profiles[s.id] = hot;
      process.stdout.write(`\nmqx broker, ${s.title}: top self time (${files.length} profiles in ${dir})\n`);
      for (const h of hot) process.stdout.write(`${formatHot(h)}\n\n`);
    }
  }

  const extras: ExtraResult[] = [];
  if (!args['no-extras'] && !args.profile && only === undefined) {
    extras.push(
      coldStart(args.quick ? 5 : 21),
      await persistence(args.quick ? 2 : 5),
      await cluster(args.quick ? 2 : 5),
    );
    for (const e of extras) {
      process.stdout.write(`\n${e.name}: ${e.status}\n${e.output}\n`);
    }
  }

  const integrityFailures = records.filter((r) => r.error !== undefined || r.problems.length > 0);
  mkdirSync(resultsDir, { recursive: true });
  const file = path.join(resultsDir, `${stamp}.json`);
  writeFileSync(
    file,
    `${JSON.stringify(
      {
        startedAt: stamp,
        size,
        rounds,
        brokers,
        pinned,
        machine: { cpus: os.cpus().length, loadavg: os.loadavg(), node: process.version },
        records,
        table: rows.map((r) => ({
          scenario: r.scenario,
          metric: r.metric.key,
          unit: r.metric.unit,
          median: r.median,
          targets: r.targets,
        })),
        profiles,
        extras,
      },
      null,
      2,
    )}\n`,
  );
  process.stdout.write(`\nresults: ${path.relative(process.cwd(), file)}\n`);
  if (integrityFailures.length > 0) {
    process.stdout.write(
      `\nFAILED: ${integrityFailures.length} measurements lost, duplicated or reordered messages, or errored:\n`,
    );
    for (const r of integrityFailures) {
      process.stdout.write(
        `  ${r.scenario} ${r.broker} round ${r.round}: ${r.error ?? r.problems.join('; ')}\n`,
      );
    }
    process.exitCode = 1;
  }
}

await main();
