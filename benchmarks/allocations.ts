/**
 * What the broker allocates per message: mqx started as `npm run bench` starts it (the launcher's
 * node flags, pinned to CPU 1), plus --trace-gc-nvp, whose every collection reports the bytes
 * allocated since the one before. Their sum over a load run, divided by the messages delivered,
 * is the heap allocated per message (the remainder after the last collection, at most one young
 * generation, is not counted: under 1% of these runs). Also per message: bytes promoted to the old
 * generation, and the share of the run spent in collection pauses.
 *
 *   npm run build && node dist/benchmarks/allocations.js [--rounds N] [--only id,id]
 */

import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { nowMs } from '../src/loadgen/clock.js';
import { DEFAULT_LOAD_OPTIONS, type LoadOptions, LoadRun } from '../src/loadgen/load.js';
import { benchArgs } from './args.js';
import { pinSelf, startBroker } from './brokers.js';

const args = benchArgs(
  { rounds: { type: 'string', default: '3' }, only: { type: 'string' } },
  'usage: node dist/benchmarks/allocations.js [--rounds N] [--only id,id]',
);

const SCENARIOS: Array<{ id: string; o: Partial<LoadOptions> }> = [
  {
    id: 'fan-in-q0',
    o: { clients: 10, subscribers: 1, topic: 'b/%i', filter: 'b/+', qos: 0, limit: 50_000 },
  },
  {
    id: 'fan-in-q1',
    o: { clients: 10, subscribers: 1, topic: 'b/%i', filter: 'b/+', qos: 1, limit: 20_000 },
  },
  {
    id: 'fan-in-q2',
    o: { clients: 10, subscribers: 1, topic: 'b/%i', filter: 'b/+', qos: 2, limit: 20_000 },
  },
  {
    id: 'fan-out-q1',
    o: { clients: 1, subscribers: 50, topic: 'b/f', filter: 'b/f', qos: 1, limit: 10_000 },
  },
  {
    id: 'pairs-q1',
    o: { clients: 20, subscribers: 20, topic: 'b/p/%i', filter: 'b/p/%i', qos: 1, limit: 10_000 },
  },
];

interface GcTotals {
  allocated: number;
  promoted: number;
  pauseMs: number;
  scavenges: number;
  fullGcs: number;
}

/** Sums the fields of --trace-gc-nvp lines as they arrive, from the moment `reset` is called. */
class GcTrace {
  totals: GcTotals = { allocated: 0, promoted: 0, pauseMs: 0, scavenges: 0, fullGcs: 0 };
  private partial = '';

  feed(chunk: Buffer): void {
    const lines = (this.partial + chunk.toString()).split('\n');
    this.partial = lines.pop()!;
    for (const line of lines) {
      const field = (name: string) => Number(new RegExp(` ${name}=([\\d.]+)`).exec(line)?.[1] ?? 0);
      if (!line.includes(' gc=')) continue;
      const t = this.totals;
      t.allocated += field('allocated');
      t.promoted += field('promoted');
      t.pauseMs += field('pause');
      if (/ gc=s /.test(line)) t.scavenges++;
      else t.fullGcs++;
    }
  }

  reset(): void {
    this.totals = { allocated: 0, promoted: 0, pauseMs: 0, scavenges: 0, fullGcs: 0 };
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const rounds = Math.max(1, Number(args.rounds));
const only = args.only?.split(',');
const work = mkdtempSync(path.join(os.tmpdir(), 'mqx-alloc-'));
pinSelf();

console.log('scenario     B allocated/msg  B promoted/msg  GC pause share  scavenges  deliveries/s');
for (const { id, o } of SCENARIOS.filter((s) => only === undefined || only.includes(s.id))) {
  const perMessage: number[] = [];
  const promoted: number[] = [];
  const pauseShare: number[] = [];
  const scavenges: number[] = [];
  const rate: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const trace = new GcTrace();
    const broker = await startBroker('mqx', {
      dir: work,
      nodeFlags: ['--trace-gc-nvp'],
      onStdout: (c) => trace.feed(c),
    });
    try {
      // Start-up's collections are not the messages' cost.
      await new Promise((resolve) => setTimeout(resolve, 300));
      trace.reset();
      const started = nowMs();
      const s = await new LoadRun({
        ...DEFAULT_LOAD_OPTIONS,
        mode: 'pubsub',
        connection: {
          broker: { scheme: 'mqtt', host: '127.0.0.1', port: broker.port },
          protocolVersion: 4,
          keepalive: 60,
        },
        drainTimeoutMs: 10_000,
        ...o,
      }).run();
      const elapsed = nowMs() - started;
      if (s.lost > 0 || s.errors > 0) throw new Error(`${id}: ${s.lost} lost, ${s.errors} errors`);
      const t = trace.totals;
      perMessage.push(t.allocated / s.received);
      promoted.push(t.promoted / s.received);
      pauseShare.push(t.pauseMs / elapsed);
      scavenges.push(t.scavenges);
      rate.push(s.receivedPerSecond);
    } finally {
      await broker.stop();
    }
  }
  console.log(
    `${id.padEnd(12)} ${median(perMessage).toFixed(0).padStart(15)}  ${median(promoted).toFixed(0).padStart(14)}  ${(median(pauseShare) * 100).toFixed(1).padStart(13)}%  ${String(median(scavenges)).padStart(9)}  ${Math.round(median(rate)).toString().padStart(12)}`,
  );
}
