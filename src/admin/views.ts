/** The JSON shapes of the admin API, read from the broker's state without changing it. */
import type { Broker } from '../broker/broker.js';
import type { Connection } from '../broker/connection.js';
import type { Message } from '../broker/message.js';
import type { Session, Subscription } from '../broker/session.js';
import { filterCovers } from '../topics/overlap.js';
import type { Caller } from './auth.js';

const PROTOCOLS: Record<number, string> = { 3: 'mqttv31', 4: 'mqttv311', 5: 'mqttv5' };
const PREVIEW_BYTES = 64;

/**
 * The session's MQTT connection, if it has one now (a bridge's outlet is no Connection). Told
 * by shape rather than instanceof: the admin bundle carries its own copy of the broker's classes.
 */
export function connectionOf(session: Session): Connection | undefined {
  const outlet = session.outlet as Partial<Connection> | undefined;
  return outlet !== undefined && outlet.peer !== undefined ? (outlet as Connection) : undefined;
}

export interface ClientView {
  id: string;
  connected: boolean;
  username: string | null;
  address: string | null;
  protocol: string | null;
  keepalive: number | null;
  connected_since: string | null;
  inflight: number;
  queued: number;
  bytes_received: number;
  bytes_sent: number;
  bridge: boolean;
}

export function clientView(session: Session): ClientView {
  const conn = connectionOf(session);
  return {
    id: session.clientId,
    connected: session.connected,
    username: session.username ?? null,
    address: conn ? `${conn.remote.address}:${conn.remote.port}` : null,
    protocol: conn ? (PROTOCOLS[conn.version] ?? String(conn.version)) : null,
    keepalive: conn ? conn.keepalive : null,
    connected_since: conn ? new Date(conn.openedAt * 1000).toISOString() : null,
    inflight: session.inflightCount,
    queued: session.queuedCount,
    bytes_received: conn?.bytesIn ?? 0,
    bytes_sent: conn?.bytesOut ?? 0,
    bridge: session.isBridge,
  };
}

/**
 * The first `limit` sessions by client id of those `keep` accepts, and how many it accepts: the
 * broker keeps its sessions in no order (session-table.ts), and a listing should not change with it.
 */
export function sessionsById(
  broker: Broker,
  limit: number,
  keep: (session: Session) => boolean = () => true,
): { total: number; sessions: Session[] } {
  const kept: Session[] = [];
  for (const session of broker.sessions.values()) if (keep(session)) kept.push(session);
  kept.sort((a, b) => (a.clientId < b.clientId ? -1 : a.clientId > b.clientId ? 1 : 0));
  return { total: kept.length, sessions: kept.slice(0, limit) };
}

export function subscriptionView(sub: Subscription) {
  return {
    client: sub.clientId,
    filter: sub.filter,
    qos: sub.qos,
    no_local: sub.noLocal,
    retain_as_published: sub.retainAsPublished,
    retain_handling: sub.retainHandling,
    ...(sub.subscriptionId > 0 ? { subscription_id: sub.subscriptionId } : {}),
  };
}

/** Subscriptions whose filter `filter` covers (`#` lists them all), readable by the caller. */
export function subscriptionsUnder(broker: Broker, filter: string, caller: Caller): Subscription[] {
  const outer = filter.split('/');
  const found: Subscription[] = [];
  for (const session of broker.sessions.values()) {
    for (const sub of session.subscriptions.values()) {
      if (filter !== '#' && !filterCovers(outer, sub.matchFilter.split('/'))) continue;
      if (!caller.canRead(sub.matchFilter)) continue;
      found.push(sub);
    }
  }
  return found;
}

/** Retained messages matching `filter` that the caller may read. */
export function retainedUnder(broker: Broker, filter: string, caller: Caller): Message[] {
  const found: Message[] = [];
  const now = Date.now();
  broker.retained.match(filter, (m) => {
    if (!m.isExpired(now) && caller.canRead(m.topic)) found.push(m);
  });
  return found.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : 0));
}

export function retainedView(m: Message, now: number) {
  const head = m.payload.subarray(0, PREVIEW_BYTES);
  const text = head.toString('utf8');
  const printable = !text.includes('\uFFFD') && !/[\x00-\x08\x0e-\x1f]/.test(text);
  return {
    topic: m.topic,
    size: m.payload.length,
    qos: m.qos,
    age_seconds: Math.max(0, Math.round((now - m.receivedAt) / 1000)),
    payload_preview: printable ? text : head.toString('base64'),
    preview_encoding: printable ? 'utf8' : 'base64',
    truncated: m.payload.length > PREVIEW_BYTES,
  };
}

export function bridgeViews(broker: Broker) {
  return [...(broker.bridges?.bridges.values() ?? [])].map((b) => ({
    name: b.name,
    state: b.isUp ? 'up' : 'down',
    addresses: b.config.addresses.map((a) => `${a.host}:${a.port}`),
    messages_in: b.forwardedIn.reduce((a, n) => a + n, 0),
    messages_out: b.forwardedOut.reduce((a, n) => a + n, 0),
    queued: b.session.queuedCount,
    topics: b.config.topics.map((t) => `${t.pattern} ${t.direction} ${t.qos}`),
  }));
}
