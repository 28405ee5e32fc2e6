import type { PersistenceSettings } from '../../config/broker-config.js';
import { MemoryStore } from './memory.js';
import type { Store } from './store.js';

export type { Store, StoredState } from './store.js';

/** Shared by every broker without persistence: it holds no state. */
export const MEMORY_STORE: Store = new MemoryStore();

/**
 * The store the settings ask for. better-sqlite3 (a native module) is loaded only when
 * persistence is on. Throws an MqxError when the file cannot be used.
 */
export async function openStore(
  settings: PersistenceSettings,
  onFailure: (err: Error) => void,
): Promise<{ store: Store; file: string }> {
  if (!settings.enabled) return { store: MEMORY_STORE, file: '' };
  const [{ openDatabase, storePath }, { SqliteStore }] = await Promise.all([
    import('./open.js'),
    import('./sqlite.js'),
  ]);
  const file = storePath(settings);
  return { store: new SqliteStore(openDatabase(settings), onFailure), file };
}
