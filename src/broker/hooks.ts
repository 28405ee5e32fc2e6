import type { BrokerConfig } from '../config/broker-config.js';
import type { Broker } from './broker.js';
import type { Connection } from './connection.js';
import type { Message } from './message.js';
import type { Session, Subscription } from './session.js';

/**
 * What extensions attach to. The broker declares these and never imports an extension: the
 * composition root (src/server.ts) builds the broker and registers bridges, the cluster, admin and
 * metrics through them.
 *
 * Three kinds, and the types say which is which:
 * - a BrokerExtension takes part in the life cycle: the broker awaits it, and its failure is the
 *   broker's (start-up stops);
 * - a BrokerObserver only watches: it returns nothing, cannot change what the broker does, and one
 *   that throws is logged and removed, stopping nothing but itself;
 * - an Authenticator decides: its answer (or its exception, which denies) is what the broker does.
 * The cluster's routing steering points are ClusterHooks (cluster-hooks.ts).
 */
export interface BrokerExtension {
  readonly name: string;
  /** After the store opened, before any listener: a client can connect only once this resolved. */
  start?(broker: Broker): Promise<void> | void;
  /** Listeners are open. */
  started?(broker: Broker): Promise<void> | void;
  /** Before clients are disconnected. */
  stop?(): Promise<void> | void;
  /** Listeners are closed and clients gone; the store closes next. */
  stopped?(): Promise<void> | void;
  /** SIGHUP: the configuration as read again. */
  reload?(config: BrokerConfig): Promise<void> | void;
}

/** Why a message did not reach a session. */
export type DropReason =
  | 'queue-full'
  | 'congested'
  | 'too-large'
  | 'not-authorized'
  | 'expired'
  | 'no-subscribers';

/** Events; every method is optional, and only the events an observer has cost anything. */
export interface BrokerObserver {
  readonly name: string;
  started?(broker: Broker): void;
  stopping?(): void;
  reloaded?(config: BrokerConfig): void;
  /** A connection's CONNECT was accepted for the session (new or resumed). */
  sessionConnected?(session: Session, conn: Connection, resumed: boolean): void;
  /** The session's connection closed; the session may live on (expiry). */
  sessionDisconnected?(session: Session, conn: Connection, reason: string): void;
  /** Another connection took the session over (same client id). */
  sessionTakenOver?(session: Session, previous: Connection, next: Connection): void;
  /** The session ended: expired, or its connection closed with expiry 0. */
  sessionEnded?(session: Session, expired: boolean): void;
  subscribed?(session: Session, subscription: Subscription): void;
  unsubscribed?(session: Session, filter: string): void;
  /** A client's PUBLISH passed every check and is about to be routed. */
  messageAccepted?(message: Message, from: Connection): void;
  /** Routed to `receivers` sessions on this node (and nodes of a cluster). */
  messageRouted?(message: Message, receivers: number): void;
  /** Written to a session's connection (or its bridge's remote). */
  messageDelivered?(session: Session, message: Message): void;
  /** Not delivered to a session (or, for no-subscribers and too-large, to anyone). */
  messageDropped?(session: Session | undefined, message: Message, reason: DropReason): void;
  /** A congested session started holding its publishers back, or stopped. */
  flowChanged?(session: Session, congested: boolean): void;
}

export interface AuthRequest {
  readonly clientId: string;
  readonly username: string | undefined;
  readonly password: Buffer | undefined;
  readonly address: string;
  readonly listenerIndex: number;
}

/** 'allow' or 'deny' decides; undefined leaves it to the next authenticator and then the password file. */
export type AuthVerdict = 'allow' | 'deny' | undefined;

export interface Authenticator {
  readonly name: string;
  authenticate(request: AuthRequest): AuthVerdict | Promise<AuthVerdict>;
}

type Events = Omit<BrokerObserver, 'name'>;
type EventName = keyof Events;
type Listeners<E extends EventName> = Array<{ owner: BrokerObserver; fn: NonNullable<Events[E]> }>;

const EVENTS: readonly EventName[] = [
  'started',
  'stopping',
  'reloaded',
  'sessionConnected',
  'sessionDisconnected',
  'sessionTakenOver',
  'sessionEnded',
  'subscribed',
  'unsubscribed',
  'messageAccepted',
  'messageRouted',
  'messageDelivered',
  'messageDropped',
  'flowChanged',
];

/**
 * The registered extensions, observers and authenticators. Each event has its own list, left
 * undefined while nobody listens: a call site tests `hooks.on.NAME !== undefined` (one field load)
 * before it builds anything, so an event no one observes costs the hot path nothing.
 */
export class Hooks {
  readonly extensions: BrokerExtension[] = [];
  readonly authenticators: Authenticator[] = [];
  readonly on: { [E in EventName]?: Listeners<E> } = {};

  constructor(private readonly report: (message: string) => void) {}

  use(observer: BrokerObserver): void {
    for (const event of EVENTS) {
      const fn = observer[event];
      if (typeof fn !== 'function') continue;
      // A new list, never a changed one: an emit() in progress goes on over the list it started with.
      const list = (this.on[event] ?? []) as Listeners<typeof event>;
      (this.on as Record<string, unknown>)[event] = [...list, { owner: observer, fn: fn.bind(observer) }];
    }
  }

  /**
   * Calls every listener of an event; one that throws is logged and removed. The implementation
   * takes up to three arguments by position: no rest array, no spread call per listener.
   */
  emit<E extends EventName>(event: E, ...args: Parameters<NonNullable<Events[E]>>): void;
  emit(event: EventName, a?: unknown, b?: unknown, c?: unknown): void {
    const list = this.on[event] as Listeners<EventName> | undefined;
    if (list === undefined) return;
    // remove() replaces the list, so this loop goes on over the one it started with.
    for (let i = 0; i < list.length; i++) {
      const { owner, fn } = list[i]!;
      try {
        (fn as (a: unknown, b: unknown, c: unknown) => void)(a, b, c);
      } catch (err) {
        this.report(
          `Observer ${owner.name} failed on ${event} and is removed: ${err instanceof Error ? err.message : String(err)}`,
        );
        this.remove(owner);
      }
    }
  }

  private remove(owner: BrokerObserver): void {
    for (const event of EVENTS) {
      const list = this.on[event];
      if (list === undefined) continue;
      const kept = (list as Listeners<EventName>).filter((l) => l.owner !== owner);
      if (kept.length === 0) delete this.on[event];
      else (this.on as Record<string, unknown>)[event] = kept;
    }
  }

  /**
   * Asks each authenticator in turn; the first 'allow' or 'deny' decides. An authenticator that
   * throws or rejects denies: a broken back end must not let anyone in.
   */
  async authenticate(request: AuthRequest): Promise<AuthVerdict> {
    for (const a of this.authenticators) {
      try {
        const verdict = await a.authenticate(request);
        if (verdict !== undefined) return verdict;
      } catch (err) {
        this.report(
          `Authenticator ${a.name} failed for ${request.clientId}, denying: ${err instanceof Error ? err.message : String(err)}`,
        );
        return 'deny';
      }
    }
    return undefined;
  }
}
