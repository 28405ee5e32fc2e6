import { accessSync, closeSync, constants, mkdirSync, openSync, readSync, statSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { ExitCode, MqxError } from '../../errors.js';
import { migrate } from './schema.js';

const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');
/** mosquitto's own persistence file starts with 0x00 0xB5 0x00 "mosquitto db". */
const MOSQUITTO_MAGIC = Buffer.from('mosquitto db', 'latin1');

/** Another process holds the store (see the exclusive locking in openDatabase). */
export class StoreLockedError extends MqxError {
  constructor(readonly file: string) {
    super(
      `persistence file ${file} is locked: another broker is using it; give each broker its own persistence_location (or --persistence DIR)`,
      ExitCode.Usage,
    );
  }
}

/**
 * Opens the store file for this broker alone, or throws an MqxError saying why it cannot: a
 * broker that starts empty in silence would drop every session and queued message it had.
 */
export function openDatabase(file: string, syncEveryCommit: boolean): Database.Database {
  const dir = path.dirname(file);
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
  } catch (err) {
    throw new MqxError(`persistence directory ${dir} is not writable: ${reason(err)}`);
  }
  refuseForeignFile(file);
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { timeout: 2000 });
    // Exclusive locking: this process holds the file until it exits, so a second broker on the
    // same store fails at once instead of interleaving writes. It also keeps the WAL index in
    // process memory, so no -shm file is needed.
    db.pragma('locking_mode = EXCLUSIVE');
    db.pragma('journal_mode = WAL');
    // A committed transaction is in the WAL, in the kernel's page cache: it survives the death of
    // the process (kill -9) with NORMAL. Surviving a power loss needs the fsync of FULL.
    db.pragma(`synchronous = ${syncEveryCommit ? 'FULL' : 'NORMAL'}`);
    const check = db.pragma('quick_check', { simple: true });
    if (check !== 'ok')
      throw new MqxError(`${file} is corrupt (${String(check)}); restore it from a backup or move it away`);
    db.exec('BEGIN EXCLUSIVE');
    migrate(db, file);
    db.exec('COMMIT');
    return db;
  } catch (err) {
    db?.close();
    if (err instanceof MqxError) throw err;
    const code = (err as { code?: string }).code;
    if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') throw new StoreLockedError(file);
    if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT')
      throw new MqxError(`persistence file ${file} is corrupt: ${reason(err)}; restore it or move it away`);
    throw new MqxError(`cannot open persistence file ${file}: ${reason(err)}`);
  }
}

/** A file that exists but is no SQLite database is someone else's: never overwrite it. */
function refuseForeignFile(file: string): void {
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    return;
  }
  try {
    accessSync(file, constants.R_OK | constants.W_OK);
  } catch (err) {
    throw new MqxError(`persistence file ${file} is not writable: ${reason(err)}`);
  }
  if (size === 0) return;
  const head = Buffer.alloc(32);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, head, 0, head.length, 0);
  } finally {
    closeSync(fd);
  }
  if (head.subarray(0, SQLITE_MAGIC.length).equals(SQLITE_MAGIC)) return;
  const what = head.includes(MOSQUITTO_MAGIC)
    ? "mosquitto's own persistence file (mqx cannot read that format)"
    : 'not an SQLite database';
  throw new MqxError(
    `persistence file ${file} is ${what}; refusing to overwrite it. Set persistence_file to another name or move the file away`,
  );
}

function reason(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
