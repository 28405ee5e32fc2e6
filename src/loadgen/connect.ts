/**
 * Opens many bench connections: either one every `intervalMs` (a steady arrival rate), or as fast
 * as possible with at most `concurrency` handshakes in flight, so a burst of thousands does not
 * overflow the listen backlog and measure SYN retransmits instead of the broker.
 */
import type { ClientOptions } from '../client/options.js';
import { nowMs } from './clock.js';
import { BenchConnection } from './connection.js';

export interface ConnectPlan {
  count: number;
  clientId: (index: number) => string;
  intervalMs: number;
  concurrency: number;
  timeoutMs: number;
}

export interface ConnectOutcome {
  /** By index; undefined where the connection failed. */
  connections: Array<BenchConnection | undefined>;
  connected: number;
  failed: number;
  /** The first few distinct failure messages. */
  failures: string[];
  /** The first failure itself, for the exit code of a run where nothing connected. */
  firstError?: unknown;
  /** From the first dial to the last CONNACK. */
  seconds: number;
}

export interface ConnectProgress {
  connected: number;
  failed: number;
}

export async function connectMany(
  options: ClientOptions,
  plan: ConnectPlan,
  progress: ConnectProgress = { connected: 0, failed: 0 },
  aborted: () => boolean = () => false,
): Promise<ConnectOutcome> {
  const connections: Array<BenchConnection | undefined> = new Array(plan.count).fill(undefined);
  const failures = new Set<string>();
  const start = nowMs();
  let next = 0;
  let failed = 0;
  let firstError: unknown;
  const openOne = async (index: number) => {
    try {
      connections[index] = await BenchConnection.open(options, plan.clientId(index), plan.timeoutMs);
      progress.connected++;
    } catch (err) {
      progress.failed++;
      failed++;
      firstError ??= err;
      if (failures.size < 5) failures.add((err as Error).message);
    }
  };
  if (plan.intervalMs > 0) {
    const pending: Array<Promise<void>> = [];
    for (; next < plan.count && !aborted(); next++) {
      pending.push(openOne(next));
      if (next < plan.count - 1) await new Promise((r) => setTimeout(r, plan.intervalMs));
    }
    await Promise.all(pending);
  } else {
    const worker = async () => {
      while (next < plan.count && !aborted()) await openOne(next++);
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(plan.concurrency, plan.count)) }, worker));
  }
  const connected = connections.filter((c) => c !== undefined).length;
  return {
    connections,
    connected,
    failed,
    failures: [...failures],
    ...(firstError !== undefined ? { firstError } : {}),
    seconds: (nowMs() - start) / 1000,
  };
}
