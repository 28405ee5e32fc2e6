import { describe, expect, it } from 'vitest';
import { freePort } from '../helpers/ports.js';
import { runMqx } from '../helpers/processes.js';

const text = (b: unknown) => Buffer.from(b as Uint8Array).toString();

describe('mqx bench flags', () => {
  it('-n, -s and -m, which mean something else in pub, still work with a deprecation note', async () => {
    const port = await freePort();
    const r = await runMqx(['bench', 'pubsub', '-p', String(port), '-n', '1', '-s', '64', '-m', '10']);
    expect(r.exitCode).toBe(3);
    const notes = text(r.stderr)
      .split('\n')
      .filter((l) => l.includes('deprecated'));
    expect(notes).toEqual([
      'mqx: bench -n is deprecated (in pub it means something else): use --subscribers',
      'mqx: bench -s is deprecated (in pub it means something else): use --size',
      'mqx: bench -m is deprecated (in pub it means something else): use --message-interval',
    ]);
  });

  it('the long names get no note', async () => {
    const port = await freePort();
    const r = await runMqx(['bench', 'pubsub', '-p', String(port), '--subscribers', '1', '--size', '64']);
    expect(r.exitCode).toBe(3);
    expect(text(r.stderr)).not.toContain('deprecated');
  });
});
