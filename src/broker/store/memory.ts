import { EMPTY_STATE, type Store, type StoredState } from './store.js';

/**
 * The store when persistence is off. Every hook does nothing, so the broker's hot path pays
 * one call to an empty method that the JIT inlines away.
 */
export class MemoryStore implements Store {
  readonly durable = false;
  load(): StoredState {
    return EMPTY_STATE;
  }
  sessionOpened(): void {}
  sessionClosed(): void {}
  sessionDestroyed(): void {}
  subscribed(): void {}
  unsubscribed(): void {}
  queued(): void {}
  sent(): void {}
  released(): void {}
  completed(): void {}
  inboundQos2(): void {}
  retained(): void {}
  willScheduled(): void {}
  willDone(): void {}
  commit(): void {}
  close(): void {}
}
