/**
 * SIGINT ends pub and sub with exit code 130 (documented in `mqx --help`); on a terminal a
 * one-line summary (messages and rate) goes to stderr first. Cleanup gets a short grace period.
 */
import { ExitCode } from '../../src/errors.js';

export interface Counter {
  count: number;
  readonly started: number;
}

export function counter(): Counter {
  return { count: 0, started: Date.now() };
}

export function summary(c: Counter, verb: string): string {
  const seconds = Math.max(0.001, (Date.now() - c.started) / 1000);
  return `${c.count} messages ${verb} in ${seconds.toFixed(1)} s (${(c.count / seconds).toFixed(1)} msg/s)`;
}

export function onInterrupt(c: Counter, verb: string, cleanup: () => Promise<void> | void): () => void {
  const handler = () => {
    if (process.stderr.isTTY) process.stderr.write(`\n${summary(c, verb)}\n`);
    const timer = setTimeout(() => process.exit(ExitCode.Interrupted), 500);
    Promise.resolve()
      .then(cleanup)
      .catch(() => undefined)
      .finally(() => {
        clearTimeout(timer);
        process.exit(ExitCode.Interrupted);
      });
  };
  process.once('SIGINT', handler);
  return () => process.off('SIGINT', handler);
}
