import type { PersistenceSettings } from '../../config/broker-config.js';
import { MemoryStore } from './memory.js';
import type { Store } from './store.js';

export type { Store, StoredState } from './store.js';

/** Shared by every broker without persistence: it holds no state. */
export const MEMORY_STORE: Store = new MemoryStore();

/**
 * The store the settings ask for; `owner` is the config file's absolute path (see choose.ts).
 * better-sqlite3 (a native module) is loaded only when persistence is on. Throws an MqxError
 * when no file can be used.
 */
export async function openStore(
  settings: PersistenceSettings,
  owner: string | undefined,
  onFailure: (err: Error) => void,
): Promise<{ store: Store; file: string; why: string }> {
  if (!settings.enabled) return { store: MEMORY_STORE, file: '', why: '' };
  const [{ chooseStore }, { SqliteStore }] = await Promise.all([
    import('./choose.js'),
    import('./sqlite.js'),
  ]);
  const { db, file, why } = chooseStore(settings, owner);
  return { store: new SqliteStore(db, onFailure), file, why };
}
