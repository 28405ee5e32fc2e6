import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { SCHEMA_VERSION } from '../../../src/broker/store/schema.js';
import { parseMosquittoConf } from '../../../src/config/mosquitto-conf.js';
import { loadNativeConfig } from '../../../src/config/native.js';
import type { InProcessBroker } from '../../helpers/broker.js';
import { tempDir } from '../../helpers/processes.js';
import { startPersistent } from './helpers.js';

let running: InProcessBroker | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

describe('opening the store', () => {
  it('creates a versioned schema in persistence_location/persistence_file', async () => {
    const dir = tempDir();
    running = await startPersistent(path.join(dir, 'sub', 'dir'));
    await running.stop();
    running = undefined;
    const db = new Database(path.join(dir, 'sub', 'dir', 'mqx.db'), { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(db.pragma('application_id', { simple: true })).toBe(0x6d717831);
    db.close();
  });

  it("refuses mosquitto's own persistence file and leaves it untouched", async () => {
    const dir = tempDir();
    const file = path.join(dir, 'mosquitto.db');
    const content = Buffer.concat([
      Buffer.from([0x00, 0xb5, 0x00]),
      Buffer.from('mosquitto db'),
      Buffer.alloc(64, 7),
    ]);
    writeFileSync(file, content);
    await expect(startPersistent(dir, { persistence: persistence(dir, 'mosquitto.db') })).rejects.toThrow(
      /mosquitto's own persistence file.*refusing to overwrite/,
    );
    expect(readFileSync(file).equals(content)).toBe(true);
  });

  it('refuses a file that is not SQLite', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'mqx.db'), 'just some text\n');
    await expect(startPersistent(dir)).rejects.toThrow(/not an SQLite database; refusing to overwrite/);
  });

  it('refuses an SQLite database of another application', async () => {
    const dir = tempDir();
    const db = new Database(path.join(dir, 'mqx.db'));
    db.exec('CREATE TABLE notes (text TEXT)');
    db.close();
    await expect(startPersistent(dir)).rejects.toThrow(/another application/);
  });

  it('refuses a store written by a newer schema', async () => {
    const dir = tempDir();
    running = await startPersistent(dir);
    await running.stop();
    running = undefined;
    const db = new Database(path.join(dir, 'mqx.db'));
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    await expect(startPersistent(dir)).rejects.toThrow(/newer than this mqx knows/);
  });

  it('refuses a corrupt store', async () => {
    const dir = tempDir();
    running = await startPersistent(dir);
    await running.stop();
    running = undefined;
    const file = path.join(dir, 'mqx.db');
    const bytes = readFileSync(file);
    // Keep the SQLite header, wreck the pages after it.
    bytes.fill(0xff, 100);
    writeFileSync(file, bytes);
    await expect(startPersistent(dir)).rejects.toThrow(/corrupt/);
  });

  it('refuses a store another broker holds', async () => {
    const dir = tempDir();
    const db = new Database(path.join(dir, 'mqx.db'));
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE; CREATE TABLE held (x); COMMIT');
    try {
      await expect(startPersistent(dir)).rejects.toThrow(/locked: another broker is using it/);
    } finally {
      db.close();
    }
  });

  it('refuses an unwritable directory', async () => {
    // Unwritable for root too, who writes through mode bits: a "directory" inside a regular file.
    const file = path.join(tempDir(), 'a-file');
    writeFileSync(file, '');
    await expect(startPersistent(path.join(file, 'store'))).rejects.toThrow(/is not writable/);
  });
});

describe('persistence settings', () => {
  it('persistence_sync (an mqx directive) turns on an fsync per commit', () => {
    const dir = tempDir();
    const conf = path.join(dir, 'm.conf');
    writeFileSync(conf, 'persistence true\npersistence_location /var/lib/mqx/\npersistence_sync true\n');
    const cfg = parseMosquittoConf(conf);
    expect(cfg.persistence).toMatchObject({
      enabled: true,
      syncEveryCommit: true,
      location: '/var/lib/mqx/',
    });
    writeFileSync(conf, 'persistence true\n');
    expect(parseMosquittoConf(conf).persistence.syncEveryCommit).toBe(false);
  });

  it('syncEveryCommit is the native config key', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'mqx.json');
    writeFileSync(
      file,
      JSON.stringify({ broker: { persistence: { enabled: true, syncEveryCommit: true } } }),
    );
    const native = await loadNativeConfig(undefined, file);
    expect(native.broker?.persistence).toMatchObject({ enabled: true, syncEveryCommit: true });
  });

  it('a broker with persistence_sync starts and keeps its state', async () => {
    const dir = tempDir();
    running = await startPersistent(dir, {
      persistence: { ...persistence(dir, 'mqx.db'), syncEveryCommit: true },
    });
    expect(running.broker.store.durable).toBe(true);
  });
});

function persistence(location: string, file: string) {
  return { enabled: true, location, file, autosaveInterval: 1800, syncEveryCommit: false };
}
