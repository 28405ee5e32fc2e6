/**
 * Runs a LoadRun with a status line on stderr once a second, only when stderr is a terminal, and
 * wipes the line before the summary is printed.
 */
import type { BenchSummary, LoadRun } from './load.js';
import { type LiveSample, liveLine } from './report.js';

export async function runWithStatus(
  run: LoadRun,
  stream: NodeJS.WriteStream = process.stderr,
): Promise<BenchSummary> {
  if (!stream.isTTY) return run.run();
  let before: LiveSample = { at: Date.now(), published: 0, received: 0 };
  const timer = setInterval(() => {
    const now = run.sample();
    const at = Date.now();
    stream.write(`\r\x1b[K${liveLine(now, before, at)}`);
    before = { at, published: now.published, received: now.received };
  }, 1000);
  try {
    return await run.run();
  } finally {
    clearInterval(timer);
    stream.write('\r\x1b[K');
  }
}
