/**
 * Which store file a broker uses in its persistence_location, so that several brokers can share
 * one folder (the course's configs all say /var/lib/mosquitto/) and each keeps its own state.
 *
 * A broker's owner identity is the absolute path of its config file. Without an explicit
 * persistence_file it takes, in this order:
 *  1. mqx.db (the single-broker default) when its meta table records this owner;
 *  2. mqx.db when it records no owner and this owner has no file of its own yet: it records itself,
 *     so that upgrading mqx keeps a broker's sessions and retained messages;
 *  3. its own file, mqx-NAME-HASH.db (NAME from the config's file name, HASH from the identity),
 *     created when missing. The name says whose it is even while its broker holds it locked,
 *     which the owner row cannot: a locked database cannot be read.
 * A locked mqx.db is another broker's (a broker that held it would have found it in step 1), so
 * it is passed over; a locked file of this owner means the same config is running already.
 * An explicit persistence_file, or no config file, keeps the one fixed file, locked or not.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import type { PersistenceSettings } from '../../config/broker-config.js';
import { ExitCode, MqxError } from '../../errors.js';
import { openDatabase, StoreLockedError } from './open.js';

/** The store of a broker without a config file, and the one older mqx versions always used. */
export const DEFAULT_STORE = 'mqx.db';

export interface ChosenStore {
  db: Database.Database;
  file: string;
  /** Why this file, for the broker's log. */
  why: string;
}

/** mqx-NAME-HASH.db: readable, and unique to the config's path. */
export function ownStoreName(owner: string): string {
  const name = path
    .basename(owner)
    .replace(/\.[^.]*$/, '')
    .replace(/[^A-Za-z0-9_-]+/g, '_')
    .slice(0, 40);
  const hash = createHash('sha256').update(owner).digest('hex').slice(0, 8);
  return `mqx-${name}-${hash}.db`;
}

export function chooseStore(settings: PersistenceSettings, owner: string | undefined): ChosenStore {
  const dir = path.resolve(settings.location || '.');
  const open = (file: string) => openDatabase(file, settings.syncEveryCommit);
  if (settings.file !== undefined) {
    const file = path.resolve(dir, settings.file);
    return { db: open(file), file, why: 'persistence_file' };
  }
  const shared = path.join(dir, DEFAULT_STORE);
  if (owner === undefined)
    return { db: open(shared), file: shared, why: 'no config file: the default store' };

  const own = path.join(dir, ownStoreName(owner));
  if (existsSync(shared)) {
    const db = openUnlessLocked(shared, open);
    if (db) {
      const recorded = readOwner(db);
      if (recorded === owner) return { db, file: shared, why: `recorded as the store of ${owner}` };
      if (recorded === undefined && !existsSync(own)) {
        recordOwner(db, owner);
        return { db, file: shared, why: `the default store, now recorded as the store of ${owner}` };
      }
      db.close();
    }
  }
  let db: Database.Database;
  try {
    db = open(own);
  } catch (err) {
    if (err instanceof StoreLockedError)
      throw new MqxError(
        `persistence file ${own} is locked: another broker runs the same config (${owner}); stop it first`,
        ExitCode.Usage,
      );
    throw err;
  }
  const recorded = readOwner(db);
  if (recorded !== undefined && recorded !== owner) {
    db.close();
    throw new MqxError(
      `persistence file ${own} records the config ${recorded}, not ${owner}; move it away or set persistence_file`,
    );
  }
  if (recorded === undefined) recordOwner(db, owner);
  return { db, file: own, why: `the store of ${owner}` };
}

function openUnlessLocked(
  file: string,
  open: (file: string) => Database.Database,
): Database.Database | undefined {
  try {
    return open(file);
  } catch (err) {
    if (err instanceof StoreLockedError) return undefined;
    throw err;
  }
}

function readOwner(db: Database.Database): string | undefined {
  const row = db.prepare("SELECT value FROM meta WHERE key = 'owner'").get() as
    | { value: unknown }
    | undefined;
  return typeof row?.value === 'string' ? row.value : undefined;
}

function recordOwner(db: Database.Database, owner: string): void {
  // meta.value is declared INTEGER; SQLite keeps a path, which never looks like a number, as TEXT.
  db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('owner', ?)").run(owner);
}
