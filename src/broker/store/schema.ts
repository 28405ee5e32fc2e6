import type { Database } from 'better-sqlite3';
import { MqxError } from '../../errors.js';

/** 'mqx1' in PRAGMA application_id: marks a file as an mqx store. */
export const APPLICATION_ID = 0x6d717831;

/**
 * One entry per schema version: MIGRATIONS[i] takes a store from user_version i to i + 1.
 * Released entries never change; a new version appends one.
 */
const MIGRATIONS: string[] = [
  `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
  -- A message is written once however many sessions hold it; deliveries point to it.
  CREATE TABLE messages (
    id INTEGER PRIMARY KEY,
    topic TEXT NOT NULL,
    payload BLOB NOT NULL,
    qos INTEGER NOT NULL,
    retain INTEGER NOT NULL,
    properties TEXT,
    expires_at INTEGER NOT NULL,
    origin TEXT NOT NULL,
    from_bridge INTEGER NOT NULL,
    received_at INTEGER NOT NULL
  );
  CREATE TABLE sessions (
    id INTEGER PRIMARY KEY,
    client_id TEXT NOT NULL UNIQUE,
    protocol_version INTEGER NOT NULL,
    expiry_interval INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    connected INTEGER NOT NULL,
    username TEXT,
    is_bridge INTEGER NOT NULL
  );
  CREATE TABLE subscriptions (
    session_id INTEGER NOT NULL,
    filter TEXT NOT NULL,
    match_filter TEXT NOT NULL,
    share_group TEXT NOT NULL,
    qos INTEGER NOT NULL,
    no_local INTEGER NOT NULL,
    retain_as_published INTEGER NOT NULL,
    retain_handling INTEGER NOT NULL,
    subscription_id INTEGER NOT NULL,
    PRIMARY KEY (session_id, filter)
  ) WITHOUT ROWID;
  -- Queued (packet_id 0) and in flight deliveries; id order is the order they were made.
  CREATE TABLE deliveries (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL,
    message_id INTEGER NOT NULL,
    qos INTEGER NOT NULL,
    retain INTEGER NOT NULL,
    subscription_ids TEXT,
    packet_id INTEGER NOT NULL,
    released INTEGER NOT NULL
  );
  CREATE TABLE inbound_qos2 (
    session_id INTEGER NOT NULL,
    packet_id INTEGER NOT NULL,
    PRIMARY KEY (session_id, packet_id)
  ) WITHOUT ROWID;
  CREATE TABLE retained (topic TEXT PRIMARY KEY, message_id INTEGER NOT NULL) WITHOUT ROWID;
  CREATE TABLE wills (
    client_id TEXT PRIMARY KEY,
    message_id INTEGER NOT NULL,
    at INTEGER NOT NULL
  ) WITHOUT ROWID;
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Brings the schema to SCHEMA_VERSION inside the caller's exclusive transaction. A file of
 * another application, or of a newer mqx, is refused rather than changed.
 */
export function migrate(db: Database, file: string): void {
  const appId = db.pragma('application_id', { simple: true }) as number;
  const version = db.pragma('user_version', { simple: true }) as number;
  const tables = db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").get() as {
    n: number;
  };
  if (appId !== APPLICATION_ID && (appId !== 0 || tables.n > 0)) {
    throw new MqxError(
      `${file} is an SQLite database of another application, not an mqx store; refusing to use it`,
    );
  }
  if (version > SCHEMA_VERSION) {
    throw new MqxError(
      `${file} has store schema version ${version}, newer than this mqx knows (${SCHEMA_VERSION}); upgrade mqx`,
    );
  }
  for (let v = version; v < SCHEMA_VERSION; v++) db.exec(MIGRATIONS[v]!);
  if (appId !== APPLICATION_ID) db.pragma(`application_id = ${APPLICATION_ID}`);
  if (version !== SCHEMA_VERSION) db.pragma(`user_version = ${SCHEMA_VERSION}`);
}
