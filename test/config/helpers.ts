import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** A fresh directory with the given files (relative path -> content); returns its path. */
export function tempTree(files: Record<string, string> = {}): string {
  const root = mkdtempSync(join(tmpdir(), 'mqx-config-'));
  for (const [name, content] of Object.entries(files)) {
    const file = join(root, name);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, content);
  }
  return root;
}

/** Writes one mosquitto.conf (lines joined) into a fresh directory; returns the file path. */
export function confFile(...lines: string[]): string {
  return join(tempTree({ 'm.conf': `${lines.join('\n')}\n` }), 'm.conf');
}
