/**
 * SIGINT ends pub and sub with exit code 130 (documented in `mqx --help`); on a terminal a
 * one-line summary (messages and rate) goes to stderr first. The client gets a short grace period
 * to send DISCONNECT, so the broker does not publish the will.
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

export interface Interrupt {
  /** Stops listening for SIGINT. */
  dispose(): void;
  /**
   * Passes `work` through, except that once SIGINT arrived its failure (the connection closing
   * under it) is not reported: the process is about to exit with 130 instead.
   */
  guard<T>(work: Promise<T>): Promise<T>;
}

export function onInterrupt(c: Counter, verb: string, cleanup: () => Promise<void> | void): Interrupt {
  let interrupted = false;
  const handler = () => {
    interrupted = true;
    if (process.stderr.isTTY) process.stderr.write(`\n${summary(c, verb)}\n`);
    const exit = () => process.exit(ExitCode.Interrupted);
    setTimeout(exit, 500).unref();
    Promise.resolve()
      .then(cleanup)
      .catch(() => undefined)
      .finally(exit);
  };
  process.once('SIGINT', handler);
  return {
    dispose: () => process.off('SIGINT', handler),
    guard: <T>(work: Promise<T>): Promise<T> =>
      work.catch(
        (err: unknown): Promise<T> => (interrupted ? new Promise<T>(() => undefined) : Promise.reject(err)),
      ),
  };
}
