import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/processes.js';

const RUN = path.join(ROOT, 'dist/benchmarks/run.js');

describe('benchArgs (npm run bench)', () => {
  it('prints the usage for --help and exits 0', () => {
    const r = spawnSync(process.execPath, [RUN, '--help'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^usage: node dist\/benchmarks\/run\.js/);
  });

  it('names a flag it does not know, with the usage, and exits 2 without a stack trace', () => {
    const r = spawnSync(process.execPath, [RUN, '--roundz', '3'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("'--roundz'");
    expect(r.stderr).toContain('usage: node dist/benchmarks/run.js');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
