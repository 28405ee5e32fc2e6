/**
 * `mqx bench pubsub --limit 1000 --json` against the real mqx broker binary. Until src/cli.ts
 * registers `bench`, the command module runs in-process under yargs instead of through bin/mqx.js.
 * No timing is asserted: only counts and integrity.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import yargs from 'yargs';
import type { BenchSummary } from '../../src/loadgen/load.js';
import { type RunningBroker, runMqx, startMqxBroker } from '../helpers/processes.js';

async function benchInProcess(args: string[]): Promise<string> {
  const command = (await import('../../commands/bench.js')).default;
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += chunk.toString();
    return true;
  });
  try {
    await yargs(['bench', ...args])
      .strict()
      .command(command)
      .parseAsync();
  } finally {
    spy.mockRestore();
  }
  return out;
}

async function bench(args: string[]): Promise<string> {
  const help = (await runMqx(['--help'])).stdout.toString();
  const registered = /^\s+mqx bench\b/m.test(help);
  if (!registered) return benchInProcess(args);
  const r = await runMqx(['bench', ...args], { timeout: 60_000 });
  expect(r.exitCode, r.stderr.toString()).toBe(0);
  return r.stdout.toString();
}

describe('mqx bench pubsub against mqx broker', () => {
  let broker: RunningBroker;
  beforeAll(async () => {
    broker = await startMqxBroker();
  });
  afterAll(() => broker?.stop());

  it('delivers 1000 messages at QoS 1 with no loss, duplicate or reordering and prints one JSON object', async () => {
    const out = await bench([
      'pubsub',
      '-h',
      '127.0.0.1',
      '-p',
      String(broker.port),
      '-q',
      '1',
      '--limit',
      '1000',
      '--json',
    ]);
    const summary = JSON.parse(out) as BenchSummary;
    expect(summary).toMatchObject({
      mode: 'pubsub',
      qos: 1,
      published: 1000,
      received: 1000,
      lost: 0,
      duplicates: 0,
      reordered: 0,
      errors: 0,
      connections: { requested: 2, connected: 2, failed: 0 },
    });
    expect(summary.latencyMs?.count).toBe(1000);
    expect(summary.latencyMs!.p99).toBeGreaterThanOrEqual(summary.latencyMs!.p50);
  });
});
