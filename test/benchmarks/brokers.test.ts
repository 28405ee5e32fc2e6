import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { GENERATOR_CPU } from '../../benchmarks/brokers.js';
import { peers } from '../helpers/peers.js';
import { ROOT } from '../helpers/processes.js';

const BROKERS = pathToFileURL(path.join(ROOT, 'dist/benchmarks/brokers.js')).href;

describe.skipIf(!peers.taskset())('pinSelf (the load generator)', () => {
  it('pins every thread of the process, not only the main one', () => {
    // A process of its own: pinning the test's worker would pin the rest of the suite. Its V8
    // and libuv threads exist before pinSelf runs, as the generator's do.
    const script = `
      import { readdirSync, readFileSync } from 'node:fs';
      import { pinSelf } from ${JSON.stringify(BROKERS)};
      const pinned = pinSelf();
      const cpus = readdirSync('/proc/self/task').map((t) =>
        /Cpus_allowed_list:\\s*(\\S+)/.exec(readFileSync('/proc/self/task/' + t + '/status', 'utf8'))[1]);
      process.stdout.write(JSON.stringify({ pinned, cpus }));`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const { pinned, cpus } = JSON.parse(r.stdout) as { pinned: boolean; cpus: string[] };
    expect(pinned).toBe(true);
    expect(cpus.length).toBeGreaterThan(1);
    expect(new Set(cpus)).toEqual(new Set([GENERATOR_CPU]));
  });
});
