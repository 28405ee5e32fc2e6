import type { Message } from '../broker/message.js';
import type { Outgoing, Session, Subscription } from '../broker/session.js';
import type { Store, StoredState } from '../broker/store/store.js';
import type { DeliveryTracker } from './tracker.js';

/** What the cluster does when a persistent session changes; see handover.ts. */
export interface SessionRecords {
  /** The session's record is to be (re)written, or removed when the session is not persistent. */
  write(session: Session, protocolVersion: number | undefined): void;
  /** The session ended here; `handedOff` when it went on to another node. */
  ended(session: Session): void;
}

/**
 * The broker's store, seen through the cluster: every hook goes to the node's own store as
 * before, and the cluster also keeps persistent sessions' records in Redis and counts the
 * deliveries that hold messages in Redis streams.
 */
export class ClusterStore implements Store {
  private readonly versions = new WeakMap<Session, number>();

  constructor(
    private readonly inner: Store,
    private readonly tracker: DeliveryTracker,
    private readonly records: SessionRecords,
  ) {}

  get durable(): boolean {
    return this.inner.durable;
  }

  load(): StoredState {
    return this.inner.load();
  }

  sessionOpened(session: Session, protocolVersion: number): void {
    this.inner.sessionOpened(session, protocolVersion);
    this.versions.set(session, protocolVersion);
    this.records.write(session, protocolVersion);
  }

  sessionClosed(session: Session): void {
    this.inner.sessionClosed(session);
    this.records.write(session, this.versions.get(session));
  }

  sessionDestroyed(session: Session): void {
    this.inner.sessionDestroyed(session);
    this.tracker.closeSession(session);
    this.records.ended(session);
  }

  subscribed(session: Session, sub: Subscription): void {
    this.inner.subscribed(session, sub);
    this.records.write(session, this.versions.get(session));
  }

  unsubscribed(session: Session, filter: string): void {
    this.inner.unsubscribed(session, filter);
    this.records.write(session, this.versions.get(session));
  }

  queued(session: Session, out: Outgoing): void {
    this.inner.queued(session, out);
    this.tracker.open(session, out);
  }

  sent(session: Session, out: Outgoing): void {
    this.inner.sent(session, out);
    this.tracker.open(session, out);
  }

  released(session: Session, out: Outgoing): void {
    this.inner.released(session, out);
  }

  completed(session: Session, out: Outgoing): void {
    this.inner.completed(session, out);
    this.tracker.close(out);
  }

  inboundQos2(session: Session, packetId: number, pending: boolean): void {
    this.inner.inboundQos2(session, packetId, pending);
  }

  retained(message: Message): void {
    this.inner.retained(message);
  }

  willScheduled(clientId: string, message: Message, at: number): void {
    this.inner.willScheduled(clientId, message, at);
  }

  willDone(clientId: string): void {
    this.inner.willDone(clientId);
  }

  commit(): void {
    this.inner.commit();
  }

  close(): void {
    this.inner.close();
  }
}
