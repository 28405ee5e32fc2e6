import type { QoS, SubscriptionRequest } from '../protocol/types.js';
import type { RetainedReplay } from './delivery.js';
import { Fifo } from './fifo.js';
import { Inflight } from './inflight.js';
import type { Message } from './message.js';

/** One subscription of a session, as the router and the store see it. */
export interface Subscription {
  readonly clientId: string;
  /** The filter as the client sent it, `$share/G/` included. */
  readonly filter: string;
  /** The filter matched against topics (without `$share/G/`). */
  readonly matchFilter: string;
  /** Share group name, or '' for an ordinary subscription. */
  readonly group: string;
  readonly qos: QoS;
  readonly noLocal: boolean;
  readonly retainAsPublished: boolean;
  readonly retainHandling: 0 | 1 | 2;
  readonly subscriptionId: number;
  /** `[subscriptionId]`, or undefined without one: made once, shared by every delivery. */
  readonly subscriptionIds: number[] | undefined;
  readonly session: Session;
}

/** The Subscription Identifier list a delivery through one subscription carries. */
export function subscriptionIdList(subscriptionId: number): number[] | undefined {
  return subscriptionId > 0 ? [subscriptionId] : undefined;
}

/**
 * A QoS 1/2 delivery waiting in the queue or in flight. One per delivery, each kept until its
 * acknowledgement: its four flags are one small integer, so it is 64 bytes, not 88.
 */
export class Outgoing {
  /** QoS in bits 0-1, then retain, released and sent. */
  private bits: number;
  /** Row of the delivery in the durable store; 0 while it is not stored. */
  storeId = 0;

  constructor(
    readonly message: Message,
    qos: QoS,
    retain: boolean,
    readonly subscriptionIds: number[] | undefined,
    public packetId = 0,
  ) {
    this.bits = qos | (retain ? 4 : 0);
  }

  get qos(): QoS {
    return (this.bits & 3) as QoS;
  }

  get retain(): boolean {
    return (this.bits & 4) !== 0;
  }

  /** QoS 2: PUBREC received, PUBREL sent, waiting for PUBCOMP. */
  get released(): boolean {
    return (this.bits & 8) !== 0;
  }

  set released(on: boolean) {
    this.bits = on ? this.bits | 8 : this.bits & ~8;
  }

  /** Has been written to a connection at least once: a resend carries DUP. */
  get sent(): boolean {
    return (this.bits & 16) !== 0;
  }

  set sent(on: boolean) {
    this.bits = on ? this.bits | 16 : this.bits & ~16;
  }
}

/** Where a session sends its packets while it has a connection. */
export interface SessionOutlet {
  /** Sends a delivery now; the session has already assigned the packet id for QoS > 0. */
  sendPublish(
    out: Outgoing | undefined,
    message: Message,
    qos: QoS,
    retain: boolean,
    subscriptionIds: number[] | undefined,
  ): boolean;
  sendPubrel(packetId: number): void;
  /** How many more QoS 1/2 PUBLISH packets the client accepts now (its Receive Maximum). */
  readonly sendQuota: number;
}

/**
 * The state of a session that most sessions never have, in one object made when the first of it
 * is set: seven fields an idle device's clean session does not carry (a persistent one has an
 * expiry interval, and a row in a durable store).
 */
class RareSessionState {
  aclReads: Map<string, boolean> | undefined = undefined;
  replay: RetainedReplay | undefined = undefined;
  maxQueuedMessages: number | undefined = undefined;
  packetIdTaken: ((id: number) => boolean) | undefined = undefined;
  expiresAt = 0;
  expiryInterval = 0;
  storeId = 0;
}

/** A session's queue, with the payload bytes it holds: a session that queues nothing has neither. */
class Queue extends Fifo<Outgoing> {
  bytes = 0;
}

/** Session.bits: its fields, and where the listener's index starts (up to 16,383 fit an int32 read with >>>). */
const PACKET_ID = 0xffff;
const CONGESTED = 1 << 16;
const BRIDGE = 1 << 17;
const LISTENER_SHIFT = 18;
const BELOW_LISTENER = (1 << LISTENER_SHIFT) - 1;

/**
 * The state MQTT keeps for a client identifier across connections (section 4.1): its
 * subscriptions, QoS 1/2 messages in flight or queued, and inbound QoS 2 packet ids.
 */
export class Session {
  outlet: SessionOutlet | undefined;
  /** Username of the current or last connection, for ACL checks while offline. */
  username: string | undefined;
  /**
   * The next packet id to try in bits 0-15, congested in bit 16, bridge in bit 17, the listener's
   * index above: one small integer, not four fields (8 bytes each, on every idle connection).
   */
  private bits = 1;
  /** What most sessions never need: made by the first of it that is set. */
  private rare: RareSessionState | undefined;
  /*
   * Made on first use: an empty Map or Set costs about 150 bytes, a Fifo 40, an Inflight table
   * about 300, and most sessions (idle devices, QoS 0 publishers) never need some of them.
   */
  private queueFifo: Queue | undefined;
  private subscriptionMap: Map<string, Subscription> | undefined;
  private inflightTable: Inflight | undefined;
  private inboundSet: Set<number> | undefined;

  constructor(readonly clientId: string) {}

  private get more(): RareSessionState {
    this.rare ??= new RareSessionState();
    return this.rare;
  }

  /** Read-ACL answers by topic (Broker.mayReceive); cleared on a new connection and on reload. */
  get aclReads(): Map<string, boolean> | undefined {
    return this.rare?.aclReads;
  }
  set aclReads(answers: Map<string, boolean> | undefined) {
    if (answers !== undefined || this.rare) this.more.aclReads = answers;
  }

  /** Retained QoS 1/2 messages of new subscriptions, sent as the inflight window opens. */
  get replay(): RetainedReplay | undefined {
    return this.rare?.replay;
  }
  set replay(replay: RetainedReplay | undefined) {
    if (replay !== undefined || this.rare) this.more.replay = replay;
  }

  /** Replaces max_queued_messages for this session: in-broker bridges hold more while their remote is down. */
  get maxQueuedMessages(): number | undefined {
    return this.rare?.maxQueuedMessages;
  }
  set maxQueuedMessages(limit: number | undefined) {
    if (limit !== undefined || this.rare) this.more.maxQueuedMessages = limit;
  }

  /**
   * Ids in use by another party of the session, never given to a delivery: an in-broker bridge
   * sends deliveries to its remote under their own ids, and its own packets under others.
   */
  get packetIdTaken(): ((id: number) => boolean) | undefined {
    return this.rare?.packetIdTaken;
  }
  set packetIdTaken(taken: ((id: number) => boolean) | undefined) {
    if (taken !== undefined || this.rare) this.more.packetIdTaken = taken;
  }

  /** At its limits and holding publishers back (kept by FlowControl). */
  get congested(): boolean {
    return (this.bits & CONGESTED) !== 0;
  }
  set congested(on: boolean) {
    this.bits = on ? this.bits | CONGESTED : this.bits & ~CONGESTED;
  }

  /** The client is a bridge: it gets retained flags as published and never its own messages back. */
  get isBridge(): boolean {
    return (this.bits & BRIDGE) !== 0;
  }
  set isBridge(on: boolean) {
    this.bits = on ? this.bits | BRIDGE : this.bits & ~BRIDGE;
  }

  /** Listener of the current or last connection: whose ACL applies with per_listener_settings. */
  get listenerIndex(): number {
    return this.bits >>> LISTENER_SHIFT;
  }
  set listenerIndex(index: number) {
    this.bits = (this.bits & BELOW_LISTENER) | (index << LISTENER_SHIFT);
  }

  /** Seconds the session outlives its connection; 0xFFFFFFFF = forever. */
  get expiryInterval(): number {
    return this.rare?.expiryInterval ?? 0;
  }
  set expiryInterval(seconds: number) {
    if (seconds !== 0 || this.rare) this.more.expiryInterval = seconds;
  }

  /** Row of the session in the durable store; 0 while it is not stored (persistence off, or expiry 0). */
  get storeId(): number {
    return this.rare?.storeId ?? 0;
  }
  set storeId(id: number) {
    if (id !== 0 || this.rare) this.more.storeId = id;
  }

  /** Epoch ms at which the disconnected session is removed; 0 while connected or never. */
  get expiresAt(): number {
    return this.rare?.expiresAt ?? 0;
  }
  set expiresAt(at: number) {
    if (at !== 0 || this.rare) this.more.expiresAt = at;
  }

  /** Waiting for a place in the inflight window, or for the client to come back. */
  get queue(): Fifo<Outgoing> {
    this.queueFifo ??= new Queue();
    return this.queueFifo;
  }

  /** Payload bytes of the queued deliveries. */
  get queuedBytes(): number {
    return this.queueFifo?.bytes ?? 0;
  }
  set queuedBytes(bytes: number) {
    if (bytes === 0 && this.queueFifo === undefined) return;
    this.queueFifo ??= new Queue();
    this.queueFifo.bytes = bytes;
  }

  /** How many deliveries are queued, without making the queue for a session that has none. */
  get queuedCount(): number {
    return this.queueFifo?.length ?? 0;
  }

  /** The queued deliveries in order, without making the queue. */
  get queued(): Iterable<Outgoing> {
    return this.queueFifo ?? [];
  }

  /** By filter as the client sent it. */
  get subscriptions(): Map<string, Subscription> {
    this.subscriptionMap ??= new Map();
    return this.subscriptionMap;
  }

  /** Outgoing QoS 1/2 in flight, by packet id, in send order. */
  get inflight(): Inflight {
    this.inflightTable ??= new Inflight();
    return this.inflightTable;
  }

  /** Inbound QoS 2 packet ids whose PUBREL has not come yet: a resent PUBLISH is not delivered twice. */
  get inboundQos2(): Set<number> {
    this.inboundSet ??= new Set();
    return this.inboundSet;
  }

  /** How many deliveries are in flight, without making the map for a session that has none. */
  get inflightCount(): number {
    return this.inflightTable?.size ?? 0;
  }

  /** Ends the session's state: forgets its subscriptions (returned) and every queued and in-flight message. */
  clear(): Iterable<Subscription> {
    const subscriptions = this.subscriptionMap?.values() ?? [];
    this.subscriptionMap = undefined;
    this.inflightTable = undefined;
    this.queueFifo = undefined;
    this.replay = undefined;
    return subscriptions;
  }

  get connected(): boolean {
    return this.outlet !== undefined;
  }

  /** Packet ids cycle through 1..65535, skipping ids still in flight [MQTT-2.2.1-3]. */
  allocatePacketId(): number {
    for (let i = 0; i < 65535; i++) {
      const bits = this.bits;
      const id = bits & PACKET_ID;
      this.bits = (bits & ~PACKET_ID) | (id === 65535 ? 1 : id + 1);
      if (!this.inflight.has(id) && !this.packetIdTaken?.(id)) return id;
    }
    throw new Error(`session ${this.clientId} has no free packet identifier`);
  }

  addSubscription(sub: Subscription): boolean {
    const existed = this.subscriptions.has(sub.filter);
    this.subscriptions.set(sub.filter, sub);
    return !existed;
  }

  static subscriptionFrom(
    session: Session,
    req: SubscriptionRequest,
    matchFilter: string,
    group: string,
    subscriptionId: number,
  ): Subscription {
    return {
      clientId: session.clientId,
      filter: req.topicFilter,
      matchFilter,
      group,
      qos: req.qos,
      noLocal: req.noLocal ?? false,
      retainAsPublished: req.retainAsPublished ?? false,
      retainHandling: req.retainHandling ?? 0,
      subscriptionId,
      subscriptionIds: subscriptionIdList(subscriptionId),
      session,
    };
  }
}
