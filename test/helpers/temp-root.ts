import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * Vitest's global setup: one directory per run becomes TMPDIR for the test workers and every
 * process they start, and is removed when the run ends, so the temp dirs of a test that fails
 * before its cleanup (and those of brokers, mosquitto and Chromium it starts) are not left behind.
 * World-readable, because mosquitto started as root reads its files as the mosquitto user.
 */
export default function setup(): () => void {
  const root = mkdtempSync(path.join(tmpdir(), 'mqx-tests-'));
  chmodSync(root, 0o755);
  process.env.TMPDIR = root;
  return () => rmSync(root, { recursive: true, force: true });
}
