import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { freePort } from '../helpers/ports.js';
import { MQX_BIN, ROOT } from '../helpers/processes.js';

describe('test/e2e/ci-job.sh', () => {
  it('starts mqx broker, waits for it without sleeping, sees a message arrive, stops it', async () => {
    const port = await freePort();
    const r = await execa('sh', [path.join(ROOT, 'test/e2e/ci-job.sh')], {
      reject: false,
      env: { MQX: `node ${MQX_BIN}`, PORT: String(port), NO_COLOR: '1' },
      timeout: 60_000,
    });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('ci-job: ok');
    expect(r.exitCode).toBe(0);
  }, 70_000);
});
