import { type Broker, NEVER_EXPIRES } from '../broker.js';
import { type Outgoing, type Session, type Subscription, subscriptionIdList } from '../session.js';
import type { StoredSession, StoredState, StoredSubscription } from './store.js';

/**
 * Rebuilds the broker's sessions, subscriptions, queues, inflight windows, retained messages
 * and delayed wills from a store, before any listener opens. Session expiry is absolute, so the
 * time the broker was down counts; a session that was connected when the broker died is taken
 * as disconnected when the store last saw the broker alive.
 */
export function restore(broker: Broker, state: StoredState): void {
  for (const stored of state.sessions) restoreSession(broker, stored, state.aliveAt);
  for (const message of state.retained) broker.retained.set(message);
  for (const will of state.wills)
    broker.pendingWills.set(will.clientId, { message: will.message, at: will.at });
}

function restoreSession(broker: Broker, stored: StoredSession, aliveAt: number): void {
  const session = broker.newSession(stored.clientId);
  session.expiryInterval = stored.expiryInterval;
  session.expiresAt = stored.connected
    ? expiryAfterCrash(stored, aliveAt, broker.config.persistentClientExpiration)
    : stored.expiresAt;
  session.username = stored.username;
  session.isBridge = stored.isBridge;
  for (const s of stored.subscriptions) {
    broker.subscribe(session, subscriptionFromStored(session, s));
  }
  for (const out of stored.outgoing) restoreOutgoing(session, out);
  for (const id of stored.inboundQos2) session.inboundQos2.add(id);
  // Set last, so that rebuilding the session above wrote nothing back to the store.
  session.storeId = stored.storeId;
  if (session.expiresAt !== 0 && session.expiresAt <= Date.now()) {
    // It expired while the broker was down: gone before any client can resume it.
    broker.destroySession(session);
    return;
  }
  // Record the disconnection the crash caused, so a second restart does not move the expiry again.
  if (stored.connected) broker.store.sessionClosed(session);
}

/** Puts a delivery back where it was: in flight under its packet id, or queued (packet id 0). */
export function restoreOutgoing(session: Session, out: Outgoing): void {
  if (out.packetId !== 0) {
    session.inflight.set(out);
    return;
  }
  session.queue.push(out);
  session.queuedBytes += out.message.payload.length;
}

/** A subscription of `session` rebuilt from what a store (or another cluster node) kept of it. */
export function subscriptionFromStored(session: Session, s: StoredSubscription): Subscription {
  return { ...s, clientId: session.clientId, session, subscriptionIds: subscriptionIdList(s.subscriptionId) };
}

function expiryAfterCrash(
  stored: StoredSession,
  aliveAt: number,
  persistentClientExpiration: number | undefined,
): number {
  const since = aliveAt || Date.now();
  if (stored.expiryInterval !== NEVER_EXPIRES) return since + stored.expiryInterval * 1000;
  if (stored.protocolVersion < 5 && persistentClientExpiration !== undefined)
    return since + persistentClientExpiration * 1000;
  return 0;
}
