import type { Database, Statement } from 'better-sqlite3';
import type { Properties } from '../../protocol/types.js';
import { Message } from '../message.js';
import { Outgoing, type Session, type Subscription } from '../session.js';
import { CommitHistogram } from '../stats.js';
import type { Store, StoredSession, StoredState, StoredSubscription } from './store.js';

interface MessageRef {
  id: number;
  /** Deliveries, retained topics and wills that hold the message; at 0 its row goes. */
  refs: number;
}

/** How often the store notes that the broker is alive, to date the end of a crashed run. */
const HEARTBEAT_MS = 1000;

/**
 * The durable store on SQLite. Hooks write at once inside a transaction that is opened by the
 * first write of an event-loop turn and committed at its end: in setImmediate, or earlier by
 * Connection's flush, which commits before it writes anything. So every PUBACK, PUBREC, SUBACK,
 * PUBREL, PUBCOMP and outgoing PUBLISH caused by a write reaches its socket only after that write
 * has committed, and all the reads of one turn share one commit (group commit).
 */
export class SqliteStore implements Store {
  readonly durable = true;
  private readonly refs = new Map<Message, MessageRef>();
  private readonly retainedByTopic = new Map<string, Message>();
  private readonly willByClient = new Map<string, Message>();
  private nextMessageId = 1;
  private nextDeliveryId = 1;
  private nextSessionId = 1;
  private inTransaction = false;
  private readonly commitSoon = () => this.commit();
  readonly commits = new CommitHistogram();
  private readonly heartbeat: NodeJS.Timeout;
  private readonly s: ReturnType<typeof prepare>;

  constructor(
    private readonly db: Database,
    /** A commit failed: nothing written since the last commit may be acknowledged. */
    private readonly onFailure: (err: Error) => void,
  ) {
    this.s = prepare(db);
    this.heartbeat = setInterval(() => this.beat(), HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  load(): StoredState {
    const s = this.s;
    const aliveRow = s.getAlive.get() as { value: number } | undefined;
    const byId = new Map<number, Message>();
    for (const r of s.allMessages.iterate() as Iterable<MessageRow>) {
      byId.set(r.id, rowToMessage(r));
      if (r.id >= this.nextMessageId) this.nextMessageId = r.id + 1;
    }
    const take = (id: number): Message => {
      const message = byId.get(id);
      if (message === undefined) throw new Error(`store: message ${id} is missing`);
      const ref = this.refs.get(message);
      if (ref === undefined) this.refs.set(message, { id, refs: 1 });
      else ref.refs++;
      return message;
    };

    const sessions = new Map<number, StoredSession>();
    for (const r of s.allSessions.iterate() as Iterable<SessionRow>) {
      sessions.set(r.id, {
        storeId: r.id,
        clientId: r.client_id,
        protocolVersion: r.protocol_version,
        expiryInterval: r.expiry_interval,
        expiresAt: r.expires_at,
        connected: r.connected === 1,
        username: r.username ?? undefined,
        isBridge: r.is_bridge === 1,
        subscriptions: [],
        outgoing: [],
        inboundQos2: [],
      });
      if (r.id >= this.nextSessionId) this.nextSessionId = r.id + 1;
    }
    for (const r of s.allSubscriptions.iterate() as Iterable<SubscriptionRow>) {
      sessions.get(r.session_id)?.subscriptions.push(rowToSubscription(r));
    }
    const orphans: number[] = [];
    for (const r of s.allDeliveries.iterate() as Iterable<DeliveryRow>) {
      if (r.id >= this.nextDeliveryId) this.nextDeliveryId = r.id + 1;
      const session = sessions.get(r.session_id);
      if (session === undefined) {
        orphans.push(r.id);
        continue;
      }
      const out = new Outgoing(
        take(r.message_id),
        r.qos as 0 | 1 | 2,
        r.retain === 1,
        r.subscription_ids === null ? undefined : JSON.parse(r.subscription_ids),
        r.packet_id,
      );
      out.released = r.released === 1;
      // Whatever was in flight may have reached the client: a resend carries DUP.
      out.sent = r.packet_id !== 0;
      out.storeId = r.id;
      session.outgoing.push(out);
    }
    for (const r of s.allInbound.iterate() as Iterable<{ session_id: number; packet_id: number }>) {
      sessions.get(r.session_id)?.inboundQos2.push(r.packet_id);
    }
    const retained: Message[] = [];
    for (const r of s.allRetained.iterate() as Iterable<{ topic: string; message_id: number }>) {
      const message = take(r.message_id);
      this.retainedByTopic.set(r.topic, message);
      retained.push(message);
    }
    const wills: StoredState['wills'] = [];
    for (const r of s.allWills.iterate() as Iterable<{ client_id: string; message_id: number; at: number }>) {
      const message = take(r.message_id);
      this.willByClient.set(r.client_id, message);
      wills.push({ clientId: r.client_id, message, at: r.at });
    }
    // Rows that nothing points to, or that point to nothing, are dropped rather than carried on.
    this.write();
    for (const id of orphans) s.deleteDelivery.run(id);
    for (const [id, message] of byId) if (!this.refs.has(message)) s.deleteMessage.run(id);
    this.beat();
    this.commit();
    return { sessions: [...sessions.values()], retained, wills, aliveAt: aliveRow?.value ?? 0 };
  }

  sessionOpened(session: Session, protocolVersion: number): void {
    if (session.expiryInterval === 0) {
      // A session that ends with its connection has nothing a restart could give back.
      if (session.storeId !== 0) this.forget(session);
      return;
    }
    this.write();
    const username = session.username ?? null;
    const bridge = session.isBridge ? 1 : 0;
    if (session.storeId !== 0) {
      this.s.openSession.run(protocolVersion, session.expiryInterval, username, bridge, session.storeId);
      return;
    }
    session.storeId = this.nextSessionId++;
    this.s.insertSession.run(
      session.storeId,
      session.clientId,
      protocolVersion,
      session.expiryInterval,
      username,
      bridge,
    );
    // The session may hold state from a connection that did not want it kept (takeover).
    for (const sub of session.subscriptions.values()) this.subscribed(session, sub);
    for (const out of session.inflight.values()) this.insertDelivery(session, out);
    for (const out of session.queued) this.insertDelivery(session, out);
    for (const id of session.inboundQos2) this.s.insertInbound.run(session.storeId, id);
  }

  sessionClosed(session: Session): void {
    if (session.storeId === 0) return;
    this.write();
    this.s.closeSession.run(session.expiryInterval, session.expiresAt, session.storeId);
  }

  sessionDestroyed(session: Session): void {
    if (session.storeId !== 0) this.forget(session);
  }

  subscribed(session: Session, sub: Subscription): void {
    if (session.storeId === 0) return;
    this.write();
    this.s.upsertSubscription.run(
      session.storeId,
      sub.filter,
      sub.matchFilter,
      sub.group,
      sub.qos,
      sub.noLocal ? 1 : 0,
      sub.retainAsPublished ? 1 : 0,
      sub.retainHandling,
      sub.subscriptionId,
    );
  }

  unsubscribed(session: Session, filter: string): void {
    if (session.storeId === 0) return;
    this.write();
    this.s.deleteSubscription.run(session.storeId, filter);
  }

  queued(session: Session, out: Outgoing): void {
    if (session.storeId === 0) return;
    this.write();
    this.insertDelivery(session, out);
  }

  sent(session: Session, out: Outgoing): void {
    if (session.storeId === 0) return;
    this.write();
    if (out.storeId === 0) this.insertDelivery(session, out);
    else this.s.setPacketId.run(out.packetId, out.storeId);
  }

  released(_session: Session, out: Outgoing): void {
    if (out.storeId === 0) return;
    this.write();
    this.s.setReleased.run(out.storeId);
  }

  completed(_session: Session, out: Outgoing): void {
    if (out.storeId === 0) return;
    this.write();
    this.s.deleteDelivery.run(out.storeId);
    out.storeId = 0;
    this.unref(out.message);
  }

  inboundQos2(session: Session, packetId: number, pending: boolean): void {
    if (session.storeId === 0) return;
    this.write();
    if (pending) this.s.insertInbound.run(session.storeId, packetId);
    else this.s.deleteInbound.run(session.storeId, packetId);
  }

  retained(message: Message): void {
    // $SYS values are the broker's own and are published again after a restart.
    if (message.topic.startsWith('$SYS')) return;
    this.write();
    const old = this.retainedByTopic.get(message.topic);
    if (message.payload.length === 0) {
      if (old === undefined) return;
      this.s.deleteRetained.run(message.topic);
      this.retainedByTopic.delete(message.topic);
    } else {
      this.s.upsertRetained.run(message.topic, this.ref(message));
      this.retainedByTopic.set(message.topic, message);
    }
    if (old !== undefined) this.unref(old);
  }

  willScheduled(clientId: string, message: Message, at: number): void {
    this.write();
    const old = this.willByClient.get(clientId);
    this.s.upsertWill.run(clientId, this.ref(message), at);
    this.willByClient.set(clientId, message);
    if (old !== undefined) this.unref(old);
  }

  willDone(clientId: string): void {
    const old = this.willByClient.get(clientId);
    if (old === undefined) return;
    this.write();
    this.s.deleteWill.run(clientId);
    this.willByClient.delete(clientId);
    this.unref(old);
  }

  close(): void {
    clearInterval(this.heartbeat);
    this.commit();
    if (this.db.open) this.db.close();
  }

  /** Opens the transaction of this turn; it commits before anything of the turn is written out. */
  private write(): void {
    if (this.inTransaction) return;
    this.s.begin.run();
    this.inTransaction = true;
    setImmediate(this.commitSoon);
  }

  commit(): void {
    if (!this.inTransaction) return;
    this.inTransaction = false;
    const started = performance.now();
    try {
      this.s.commit.run();
      this.commits.observe((performance.now() - started) / 1000);
    } catch (err) {
      this.onFailure(err instanceof Error ? err : new Error(String(err)));
    }
  }

  private beat(): void {
    if (!this.db.open) return;
    this.write();
    this.s.setAlive.run(Date.now());
  }

  private forget(session: Session): void {
    this.write();
    for (const out of session.inflight.values()) this.completed(session, out);
    for (const out of session.queued) this.completed(session, out);
    this.s.deleteSubscriptions.run(session.storeId);
    this.s.deleteInbounds.run(session.storeId);
    this.s.deleteSession.run(session.storeId);
    session.storeId = 0;
  }

  private insertDelivery(session: Session, out: Outgoing): void {
    out.storeId = this.nextDeliveryId++;
    this.s.insertDelivery.run(
      out.storeId,
      session.storeId,
      this.ref(out.message),
      out.qos,
      out.retain ? 1 : 0,
      out.subscriptionIds === undefined ? null : JSON.stringify(out.subscriptionIds),
      out.packetId,
      out.released ? 1 : 0,
    );
  }

  /** The row id of the message, written on its first use. */
  private ref(message: Message): number {
    let ref = this.refs.get(message);
    if (ref === undefined) {
      ref = { id: this.nextMessageId++, refs: 0 };
      this.refs.set(message, ref);
      this.s.insertMessage.run(
        ref.id,
        message.topic,
        message.payload,
        message.qos,
        message.retain ? 1 : 0,
        encodeProperties(message.properties),
        message.expiresAt,
        message.origin,
        message.fromBridge ? 1 : 0,
        message.receivedAt,
      );
    }
    ref.refs++;
    return ref.id;
  }

  private unref(message: Message): void {
    const ref = this.refs.get(message);
    if (ref === undefined || --ref.refs > 0) return;
    this.refs.delete(message);
    this.s.deleteMessage.run(ref.id);
  }
}

function prepare(db: Database) {
  const p = (sql: string): Statement => db.prepare(sql);
  return {
    begin: p('BEGIN'),
    commit: p('COMMIT'),
    getAlive: p("SELECT value FROM meta WHERE key = 'alive_at'"),
    setAlive: p("INSERT OR REPLACE INTO meta (key, value) VALUES ('alive_at', ?)"),
    allMessages: p('SELECT * FROM messages'),
    allSessions: p('SELECT * FROM sessions'),
    allSubscriptions: p('SELECT * FROM subscriptions'),
    allDeliveries: p('SELECT * FROM deliveries ORDER BY id'),
    allInbound: p('SELECT * FROM inbound_qos2'),
    allRetained: p('SELECT * FROM retained'),
    allWills: p('SELECT * FROM wills'),
    insertMessage: p('INSERT INTO messages VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)'),
    deleteMessage: p('DELETE FROM messages WHERE id = ?'),
    insertSession: p(
      'INSERT INTO sessions (id, client_id, protocol_version, expiry_interval, expires_at, connected, username, is_bridge) VALUES (?, ?, ?, ?, 0, 1, ?, ?)',
    ),
    openSession: p(
      'UPDATE sessions SET protocol_version = ?, expiry_interval = ?, expires_at = 0, connected = 1, username = ?, is_bridge = ? WHERE id = ?',
    ),
    closeSession: p('UPDATE sessions SET expiry_interval = ?, expires_at = ?, connected = 0 WHERE id = ?'),
    deleteSession: p('DELETE FROM sessions WHERE id = ?'),
    upsertSubscription: p('INSERT OR REPLACE INTO subscriptions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)'),
    deleteSubscription: p('DELETE FROM subscriptions WHERE session_id = ? AND filter = ?'),
    deleteSubscriptions: p('DELETE FROM subscriptions WHERE session_id = ?'),
    insertDelivery: p('INSERT INTO deliveries VALUES (?, ?, ?, ?, ?, ?, ?, ?)'),
    setPacketId: p('UPDATE deliveries SET packet_id = ? WHERE id = ?'),
    setReleased: p('UPDATE deliveries SET released = 1 WHERE id = ?'),
    deleteDelivery: p('DELETE FROM deliveries WHERE id = ?'),
    insertInbound: p('INSERT OR IGNORE INTO inbound_qos2 VALUES (?, ?)'),
    deleteInbound: p('DELETE FROM inbound_qos2 WHERE session_id = ? AND packet_id = ?'),
    deleteInbounds: p('DELETE FROM inbound_qos2 WHERE session_id = ?'),
    upsertRetained: p('INSERT OR REPLACE INTO retained VALUES (?, ?)'),
    deleteRetained: p('DELETE FROM retained WHERE topic = ?'),
    upsertWill: p('INSERT OR REPLACE INTO wills VALUES (?, ?, ?)'),
    deleteWill: p('DELETE FROM wills WHERE client_id = ?'),
  };
}

interface MessageRow {
  id: number;
  topic: string;
  payload: Buffer;
  qos: number;
  retain: number;
  properties: string | null;
  expires_at: number;
  origin: string;
  from_bridge: number;
  received_at: number;
}

interface SessionRow {
  id: number;
  client_id: string;
  protocol_version: number;
  expiry_interval: number;
  expires_at: number;
  connected: number;
  username: string | null;
  is_bridge: number;
}

interface SubscriptionRow {
  session_id: number;
  filter: string;
  match_filter: string;
  share_group: string;
  qos: number;
  no_local: number;
  retain_as_published: number;
  retain_handling: number;
  subscription_id: number;
}

interface DeliveryRow {
  id: number;
  session_id: number;
  message_id: number;
  qos: number;
  retain: number;
  subscription_ids: string | null;
  packet_id: number;
  released: number;
}

function rowToMessage(r: MessageRow): Message {
  return new Message(
    r.topic,
    r.payload,
    r.qos as 0 | 1 | 2,
    r.retain === 1,
    decodeProperties(r.properties),
    r.expires_at,
    r.origin,
    r.from_bridge === 1,
    r.received_at,
  );
}

function rowToSubscription(r: SubscriptionRow): StoredSubscription {
  return {
    filter: r.filter,
    matchFilter: r.match_filter,
    group: r.share_group,
    qos: r.qos as 0 | 1 | 2,
    noLocal: r.no_local === 1,
    retainAsPublished: r.retain_as_published === 1,
    retainHandling: r.retain_handling as 0 | 1 | 2,
    subscriptionId: r.subscription_id,
  };
}

/** Properties as JSON; Correlation Data, the one binary property, as base64. */
export function encodeProperties(props: Properties | undefined): string | null {
  if (props === undefined) return null;
  const { correlationData, ...rest } = props;
  return JSON.stringify(
    correlationData === undefined ? rest : { ...rest, correlationData: correlationData.toString('base64') },
  );
}

export function decodeProperties(json: string | null): Properties | undefined {
  if (json === null) return undefined;
  const parsed = JSON.parse(json) as Properties & { correlationData?: string };
  const { correlationData, ...rest } = parsed;
  return correlationData === undefined
    ? rest
    : { ...rest, correlationData: Buffer.from(correlationData, 'base64') };
}
