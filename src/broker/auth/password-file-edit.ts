import { randomBytes } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../../errors.js';
import { formatEntry } from './password-file.js';

/**
 * Edits of a password file's text for `mqx passwd`. Lines are found by username the way the
 * broker reads them (trimmed, comments and blank lines skipped); every other line, comments
 * included, is kept byte for byte.
 */

function userOf(line: string): string | undefined {
  const trimmed = line.trim();
  if (trimmed === '' || trimmed.startsWith('#')) return undefined;
  const colon = trimmed.indexOf(':');
  return colon < 0 ? undefined : trimmed.slice(0, colon).trim();
}

function lines(text: string): string[] {
  if (text === '') return [];
  return (text.endsWith('\n') ? text.slice(0, -1) : text).split('\n');
}

function join(out: string[]): string {
  return out.length === 0 ? '' : `${out.join('\n')}\n`;
}

/**
 * Puts `entry` in place of the user's line, or appends it. Later lines of the same user are
 * dropped: the broker takes the last one, which would otherwise shadow the new password.
 */
export function setEntry(text: string, user: string, entry: string): string {
  const out: string[] = [];
  let placed = false;
  for (const line of lines(text)) {
    if (userOf(line) !== user) out.push(line);
    else if (!placed) {
      out.push(entry);
      placed = true;
    }
  }
  if (!placed) out.push(entry);
  return join(out);
}

/** The text without the user's lines, or undefined when the user has none. */
export function deleteEntry(text: string, user: string): string | undefined {
  const all = lines(text);
  const kept = all.filter((line) => userOf(line) !== user);
  return kept.length === all.length ? undefined : join(kept);
}

/**
 * Hashes every `user:plaintext` line (mosquitto_passwd -U). Unlike mosquitto_passwd 2.0.11, lines
 * that already hold a $6$ or $7$ hash are kept, so running it twice does not hash a hash, and the
 * password is everything after the first ':' (mosquitto_passwd stops at a second ':').
 */
export async function hashPlaintext(text: string, file: string): Promise<string> {
  const out = await Promise.all(
    lines(text).map(async (line, i) => {
      const user = userOf(line);
      if (user === undefined) {
        const trimmed = line.trim();
        if (trimmed === '' || trimmed.startsWith('#')) return line;
        throw new UsageError(`${file}:${i + 1}: expected "username:password"`);
      }
      const password = line.trim().slice(line.trim().indexOf(':') + 1);
      if (/^\$[67]\$/.test(password)) return line;
      try {
        return await formatEntry(user, password);
      } catch (err) {
        throw new UsageError(`${file}:${i + 1}: ${(err as Error).message}`);
      }
    }),
  );
  return join(out);
}

/**
 * Replaces the file in one step: a crash or a full disk leaves the old file or the new one, never
 * half of either. Mode 0600: the hashes are the keys to every account.
 */
export async function writeFileAtomic(file: string, text: string): Promise<void> {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temp, 'wx', 0o600);
  try {
    await handle.writeFile(text);
    await handle.sync();
    await handle.close();
    await rename(temp, file);
  } catch (err) {
    await handle.close().catch(() => undefined);
    await unlink(temp).catch(() => undefined);
    throw err;
  }
}
