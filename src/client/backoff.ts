/** Reconnect delays: exponential from minMs, capped at maxMs, with ±20% jitter so a fleet does not reconnect in step. */
export interface BackoffOptions {
  minMs: number;
  maxMs: number;
  /** For tests: a source of [0, 1) numbers; Math.random by default. */
  random?: () => number;
}

export function backoffDelay(attempt: number, options: BackoffOptions): number {
  const base = Math.min(options.maxMs, options.minMs * 2 ** Math.min(attempt, 30));
  const jitter = 0.8 + 0.4 * (options.random ?? Math.random)();
  return Math.round(Math.min(options.maxMs, base * jitter));
}
