import { createHash, createHmac, pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { ConfigError, UsageError } from '../../errors.js';
import { fileProblem } from '../startup-errors.js';

/**
 * mosquitto password files: one `user:$6$salt$hash` or `user:$7$iterations$salt$hash` line per user,
 * salt and hash in standard base64. Both were checked against files written by mosquitto_passwd
 * 2.0.11:
 *   $6$  hash = SHA-512(password bytes ‖ salt bytes)                  (`mosquitto_passwd -H sha512`)
 *   $7$  hash = PBKDF2-HMAC-SHA512(password, salt, iterations, 64)     (the default; 101 iterations,
 *        12-byte salt)
 * The broker reads lines as mosquitto does: leading and trailing whitespace (and CR) is ignored,
 * `#` starts a comment, the username is trimmed, and when a user appears twice the last line wins.
 * Where mosquitto only logs "removing entry" for a line it cannot use, mqx refuses the file with
 * FILE:LINE errors: silently locking a user out is worse than a clear start-up error.
 */

const pbkdf2Async = promisify(pbkdf2);

/** mosquitto_passwd's defaults for new entries. */
const DEFAULT_ITERATIONS = 101;
const SALT_BYTES = 12;
const SHA512_BYTES = 64;
/** Node rejects larger iteration counts. */
const MAX_ITERATIONS = 2 ** 31 - 1;

export interface PasswordEntry {
  user: string;
  /** 6: salted SHA-512; 7: PBKDF2-HMAC-SHA512. */
  type: 6 | 7;
  /** 1 for type 6. */
  iterations: number;
  salt: Buffer;
  hash: Buffer;
  /** 1-based line in the file, for messages. */
  line: number;
}

/** Decodes canonical base64 only, so a damaged field is an error instead of a silently shorter buffer. */
function decodeBase64(text: string): Buffer | undefined {
  if (text.length === 0 || text.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(text)) return undefined;
  return Buffer.from(text, 'base64');
}

/** Parses the part after `user:`; returns an error message when it is not a usable hash. */
function parseHash(user: string, text: string, line: number): PasswordEntry | string {
  const fields = text.split('$');
  // "$7$101$salt$hash".split('$') → ['', '7', '101', 'salt', 'hash']
  if (fields[0] !== '' || (fields[1] !== '6' && fields[1] !== '7')) {
    return `user "${user}": not a $6$ or $7$ password hash (plain text? convert it with "mqx passwd -U")`;
  }
  const type = fields[1] === '6' ? 6 : 7;
  const expected = type === 6 ? 4 : 5;
  if (fields.length !== expected)
    return `user "${user}": a $${type}$ hash has ${expected - 1} '$'-separated fields`;
  let iterations = 1;
  if (type === 7) {
    const text = fields[2]!;
    iterations = /^[1-9][0-9]{0,9}$/.test(text) ? Number(text) : 0;
    if (iterations < 1 || iterations > MAX_ITERATIONS)
      return `user "${user}": invalid iteration count "${text}"`;
  }
  const salt = decodeBase64(fields[expected - 2]!);
  if (!salt) return `user "${user}": the salt is not base64`;
  const hash = decodeBase64(fields[expected - 1]!);
  if (!hash) return `user "${user}": the hash is not base64`;
  if (type === 6 && hash.length !== SHA512_BYTES)
    return `user "${user}": a $6$ hash is ${SHA512_BYTES} bytes`;
  return { user, type, iterations, salt, hash, line };
}

/** Parses the text of a password file; throws a ConfigError naming FILE:LINE for every bad line. */
export function parsePasswordFile(text: string, file: string): PasswordFile {
  const entries = new Map<string, PasswordEntry>();
  const problems: string[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const colon = line.indexOf(':');
    const user = colon < 0 ? '' : line.slice(0, colon).trim();
    if (colon < 0 || user === '') {
      problems.push(`${file}:${i + 1}: expected "username:hash"`);
      return;
    }
    const entry = parseHash(user, line.slice(colon + 1).trim(), i + 1);
    if (typeof entry === 'string') problems.push(`${file}:${i + 1}: ${entry}`);
    else entries.set(user, entry);
  });
  if (problems.length > 0) throw new ConfigError(problems.join('\n'));
  return new PasswordFile(file, entries);
}

export async function loadPasswordFile(path: string): Promise<PasswordFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`${path}: cannot read the password file: ${fileProblem(err)}`);
  }
  return parsePasswordFile(text, path);
}

function sha512(password: Buffer, salt: Buffer): Buffer {
  return createHash('sha512').update(password).update(salt).digest();
}

function derive(entry: PasswordEntry, password: Buffer): Promise<Buffer> {
  return pbkdf2Async(password, entry.salt, entry.iterations, entry.hash.length, 'sha512');
}

/** Compared against when the user is unknown, so the answer takes as long as for a known user. */
const DECOY: PasswordEntry = {
  user: '',
  type: 7,
  iterations: DEFAULT_ITERATIONS,
  salt: Buffer.alloc(SALT_BYTES),
  hash: Buffer.alloc(SHA512_BYTES),
  line: 0,
};

/**
 * Successful verifications remembered per password file. A broker restart or a network blip makes
 * every client reconnect at once; without this, each reconnect pays a full PBKDF2 again and the
 * storm saturates the thread pool that also serves file and DNS work. Only successes are kept, so
 * wrong guesses can neither evict them nor grow the map; keys are HMACs under a per-process random
 * key, so the map holds no password and no plain hash of one.
 */
const CACHE_LIMIT = 1024;

export class PasswordFile {
  private readonly verified = new Map<string, PasswordEntry>();
  private readonly cacheKey = randomBytes(32);

  constructor(
    readonly path: string,
    private readonly entries: ReadonlyMap<string, PasswordEntry>,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /**
   * True when `password` is the user's. $6$ and remembered successes answer synchronously;
   * PBKDF2 runs on the thread pool so the event loop keeps serving other clients.
   */
  verify(user: string, password: Buffer): Promise<boolean> | boolean {
    const entry = this.entries.get(user);
    if (entry?.type === 6) return timingSafeEqual(sha512(password, entry.salt), entry.hash);
    const key = createHmac('sha256', this.cacheKey)
      .update(user)
      .update('\0')
      .update(password)
      .digest('base64');
    if (entry !== undefined && this.verified.get(key) === entry) {
      this.verified.delete(key);
      this.verified.set(key, entry); // most recently used goes last
      return true;
    }
    const target = entry ?? DECOY;
    return derive(target, password).then((derived) => {
      if (!timingSafeEqual(derived, target.hash) || entry === undefined) return false;
      this.remember(key, entry);
      return true;
    });
  }

  private remember(key: string, entry: PasswordEntry): void {
    this.verified.set(key, entry);
    if (this.verified.size > CACHE_LIMIT) this.verified.delete(this.verified.keys().next().value!);
  }
}

/** Rejects usernames that cannot be stored in the file or would never match a CONNECT. */
export function checkUsername(user: string): string | undefined {
  if (user === '') return 'the username is empty (an empty username connects as anonymous)';
  if (user.includes(':')) return "the username must not contain ':'";
  if (/[\x00-\x1f\x7f]/.test(user)) return 'the username must not contain control characters';
  if (user !== user.trim()) return 'the username must not start or end with whitespace';
  return undefined;
}

/** A new `user:$7$101$salt$hash` line (without newline), as mosquitto_passwd 2.0 writes it. */
export async function formatEntry(user: string, password: string | Buffer): Promise<string> {
  const problem = checkUsername(user);
  if (problem) throw new UsageError(problem);
  const salt = randomBytes(SALT_BYTES);
  const hash = await pbkdf2Async(password, salt, DEFAULT_ITERATIONS, SHA512_BYTES, 'sha512');
  return `${user}:$7$${DEFAULT_ITERATIONS}$${salt.toString('base64')}$${hash.toString('base64')}`;
}
