import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, from dist/benchmarks/ or from benchmarks/ alike. */
export const ROOT = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  import.meta.url.includes('/dist/') ? '../..' : '..',
);

/**
 * The node flags on bin/mqx.js's first line, so that benchmarks start mqx with the flags
 * `mqx` itself runs with when it is executed as a command.
 */
export function launcherFlags(): string[] {
  const first = readFileSync(path.join(ROOT, 'bin/mqx.js'), 'utf8').split('\n', 1)[0]!;
  return first.split(/\s+/).filter((arg) => arg.startsWith('--'));
}
