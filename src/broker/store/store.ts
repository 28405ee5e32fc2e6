import type { Message } from '../message.js';
import type { Outgoing, Session, Subscription } from '../session.js';
import type { CommitHistogram } from '../stats.js';

/**
 * Where the broker keeps what must outlive its process. The broker calls these hooks as its
 * state changes; a durable store writes them so that a restart, even after `kill -9`, finds
 * everything the broker had acknowledged. Only sessions that outlive their connection
 * (expiry > 0) are kept: a clean session dies with its connection, crash or not.
 */
export interface Store {
  /** False for the memory store: every hook is a no-op and nothing survives a restart. */
  readonly durable: boolean;
  /** How long commits take, when the store has any to time. */
  readonly commits?: CommitHistogram;
  /** What the previous run left, read once before listeners open. */
  load(): StoredState;
  /** CONNECT accepted: start keeping the session (expiry > 0) or stop keeping it (expiry 0). */
  sessionOpened(session: Session, protocolVersion: number): void;
  /** Its connection closed and the session lives on until `session.expiresAt`. */
  sessionClosed(session: Session): void;
  /** Called before the broker clears the session's subscriptions, queue and inflight window. */
  sessionDestroyed(session: Session): void;
  subscribed(session: Session, sub: Subscription): void;
  unsubscribed(session: Session, filter: string): void;
  /** A delivery entered the session's queue (packet id 0). */
  queued(session: Session, out: Outgoing): void;
  /** A delivery got its packet id and went into the inflight window. */
  sent(session: Session, out: Outgoing): void;
  /** QoS 2: the client's PUBREC came, PUBREL is due. */
  released(session: Session, out: Outgoing): void;
  /** The delivery is over: acknowledged, expired or dropped. */
  completed(session: Session, out: Outgoing): void;
  /** An inbound QoS 2 packet id was received (pending) or released by PUBREL. */
  inboundQos2(session: Session, packetId: number, pending: boolean): void;
  /** The retained message of its topic; an empty payload clears the topic. */
  retained(message: Message): void;
  willScheduled(clientId: string, message: Message, at: number): void;
  willDone(clientId: string): void;
  /**
   * Commits what is pending now. Needed before a connection closes: closing flushes its output
   * at once, not in setImmediate, and that output may acknowledge this callback's writes.
   */
  commit(): void;
  /** Commits what is pending and releases the file. */
  close(): void;
}

export interface StoredSubscription {
  filter: string;
  matchFilter: string;
  group: string;
  qos: 0 | 1 | 2;
  noLocal: boolean;
  retainAsPublished: boolean;
  retainHandling: 0 | 1 | 2;
  subscriptionId: number;
}

export interface StoredSession {
  storeId: number;
  clientId: string;
  protocolVersion: number;
  expiryInterval: number;
  /** Epoch ms when the disconnected session expires; 0 = never. */
  expiresAt: number;
  /** The session had a connection when the broker stopped (crashed). */
  connected: boolean;
  username: string | undefined;
  isBridge: boolean;
  subscriptions: StoredSubscription[];
  /** Queued (packetId 0) and in flight deliveries, in the order they were made. */
  outgoing: Outgoing[];
  inboundQos2: number[];
}

export interface StoredState {
  sessions: StoredSession[];
  retained: Message[];
  wills: Array<{ clientId: string; message: Message; at: number }>;
  /** Epoch ms the previous run was last known alive; 0 for a new store. */
  aliveAt: number;
}

export const EMPTY_STATE: StoredState = { sessions: [], retained: [], wills: [], aliveAt: 0 };
