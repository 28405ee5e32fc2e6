import type { QoS } from '../protocol/types.js';
import type { Broker } from './broker.js';
import { Connection } from './connection.js';
import type { DropReason } from './hooks.js';
import type { Message } from './message.js';
import { sendRetainedRun } from './retained-run.js';
import { Outgoing, type Session, type Subscription } from './session.js';

/**
 * Retained messages encoded in one run (retained-run.ts): QoS 0 ones while the store is still
 * being walked, QoS 1/2 ones as many as the inflight window takes, up to this.
 */
const RETAINED_RUN = 512;
const NONE: Message[] = [];

/** The QoS 1/2 retained messages a new subscription still has to get, in order. */
export interface RetainedReplay {
  readonly messages: Message[];
  next: number;
  readonly subscription: Subscription;
  /** Queued deliveries that were there first and go before this replay. */
  queuedBefore: number;
  /** A later subscription's replay, which follows this one. */
  following: RetainedReplay | undefined;
}

/**
 * What happens to a message once it is routed to a session: sent at once while the inflight window
 * is open, else queued (within the limits, or past them while flow control admits it), moved into
 * the window as acknowledgements come, and resent on reconnect. Retained QoS 1/2 messages of a new
 * subscription are a replay drawn from as the window opens. The broker's per-session outgoing path.
 */
export class Deliveries {
  private readonly dropLoggedAt = new WeakMap<Session, number>();

  constructor(private readonly broker: Broker) {}

  /**
   * Sends now if the inflight window allows, else queues. A full queue drops the message unless
   * flow control admits it: an online session then takes it, and its source waits (flow-control.ts).
   */
  deliver(
    session: Session,
    message: Message,
    qos: QoS,
    retain: boolean,
    subscriptionIds: number[] | undefined,
  ): void {
    const outlet = session.outlet;
    if (qos === 0) {
      if (outlet !== undefined) {
        if (outlet instanceof Connection && outlet.congested) {
          this.broker.stats.droppedBy.congested++;
          this.dropped(session, message, 'congested', 'its connection is congested');
          return;
        }
        if (outlet.sendPublish(undefined, message, 0, retain, subscriptionIds)) this.sent(session, message);
        return;
      }
      if (!this.broker.config.queueQos0Messages) return;
    }
    const out = new Outgoing(message, qos, retain, subscriptionIds);
    if (
      outlet !== undefined &&
      session.queuedCount === 0 &&
      session.replay === undefined &&
      qos > 0 &&
      this.windowOpen(session)
    ) {
      this.sendOutgoing(session, out);
      return;
    }
    const full = this.queueFull(session, message.payload.length);
    if (
      full !== undefined &&
      (outlet === undefined || qos === 0 || !this.broker.flow.admit(session, this.broker.source))
    ) {
      this.broker.stats.droppedBy.queueFull++;
      this.dropped(session, message, 'queue-full', full);
      return;
    }
    session.queue.push(out);
    session.queuedBytes += message.payload.length;
    this.broker.store.queued(session, out);
  }

  /** Why one more message of `bytes` would be past the session's limits, or undefined if not. */
  private queueFull(session: Session, bytes: number): string | undefined {
    const maxQueued = session.maxQueuedMessages ?? this.broker.config.maxQueuedMessages;
    if (maxQueued > 0 && session.queuedCount >= maxQueued) return 'max_queued_messages reached';
    const maxBytes = this.broker.config.maxQueuedBytes;
    if (maxBytes > 0 && session.queuedBytes + bytes > maxBytes) return 'max_queued_bytes reached';
    return undefined;
  }

  /** Half the limits: where a congested session lets its sources go on. */
  private atLowWater(session: Session): boolean {
    const maxQueued = session.maxQueuedMessages ?? this.broker.config.maxQueuedMessages;
    const maxBytes = this.broker.config.maxQueuedBytes;
    return (
      (maxQueued === 0 || session.queuedCount <= maxQueued >>> 1) &&
      (maxBytes === 0 || session.queuedBytes <= maxBytes / 2)
    );
  }

  /** Counted in $SYS and told to observers. */
  private sent(session: Session, message: Message): void {
    this.broker.stats.messagesSent++;
    if (this.broker.hooks.on.messageDelivered !== undefined)
      this.broker.hooks.emit('messageDelivered', session, message);
  }

  private dropped(session: Session, message: Message, reason: DropReason, why: string): void {
    this.broker.stats.dropped++;
    if (this.broker.hooks.on.messageDropped !== undefined)
      this.broker.hooks.emit('messageDropped', session, message, reason);
    // At most one line per client every 10 s: a flood of drops must not become a flood of logs.
    const now = Date.now();
    if (now - (this.dropLoggedAt.get(session) ?? 0) >= 10_000) {
      this.dropLoggedAt.set(session, now);
      this.broker.log.warning(`Outgoing messages are being dropped for client ${session.clientId}: ${why}.`);
    }
  }

  private windowOpen(session: Session): boolean {
    return this.windowRoom(session) > 0;
  }

  /** How many more deliveries the inflight window takes now. */
  private windowRoom(session: Session): number {
    const max = this.broker.config.maxInflightMessages;
    const quota = session.outlet?.sendQuota ?? 0;
    return max === 0 ? quota : Math.min(quota, max - session.inflight.size);
  }

  private sendOutgoing(session: Session, out: Outgoing): void {
    out.packetId = session.allocatePacketId();
    session.inflight.set(out);
    this.sendInflight(session, out);
  }

  /** Sends a delivery already in the inflight window, or takes it out again if it cannot go. */
  private sendInflight(session: Session, out: Outgoing): void {
    if (session.outlet!.sendPublish(out, out.message, out.qos, out.retain, out.subscriptionIds)) {
      this.sent(session, out.message);
      this.broker.store.sent(session, out);
    } else {
      session.inflight.delete(out.packetId);
      this.broker.store.completed(session, out);
    }
  }

  /**
   * Moves queued messages, and a retained replay's next messages, into the inflight window as it
   * opens; a congested session that drained lets its sources go on.
   */
  pump(session: Session): void {
    const now = Date.now();
    while (session.outlet !== undefined && this.windowOpen(session)) {
      const replay = session.replay;
      if (replay !== undefined && replay.queuedBefore === 0) {
        this.replayRun(session, replay, now);
        continue;
      }
      const out = session.queuedCount > 0 ? session.queue.shift() : undefined;
      if (out === undefined) break;
      if (replay !== undefined) replay.queuedBefore--;
      session.queuedBytes -= out.message.payload.length;
      if (out.message.isExpired(now)) {
        this.broker.stats.droppedBy.expired++;
        this.broker.store.completed(session, out);
        continue;
      }
      if (out.qos === 0) {
        session.outlet.sendPublish(undefined, out.message, 0, out.retain, out.subscriptionIds);
        this.broker.store.completed(session, out);
        continue;
      }
      this.sendOutgoing(session, out);
    }
    if (this.broker.flow.watching(session) && this.atLowWater(session)) this.broker.flow.drained(session);
  }

  /**
   * Sends the next retained messages of a replay, as many as the window takes (a run at most),
   * in one run where the connection can (retained-run.ts); ends the replay after its last.
   */
  private replayRun(session: Session, replay: RetainedReplay, now: number): void {
    const sub = replay.subscription;
    const outs: Outgoing[] = [];
    const window = this.windowRoom(session);
    // The replay's first run makes room for as much of it as the window takes.
    if (replay.next === 0) session.inflight.reserve(Math.min(window, replay.messages.length));
    const room = Math.min(window, RETAINED_RUN);
    while (outs.length < room && replay.next < replay.messages.length) {
      const message = replay.messages[replay.next++]!;
      if (message.isExpired(now) || !this.broker.mayReceive(session, message.topic)) continue;
      const out = new Outgoing(message, Math.min(message.qos, sub.qos) as QoS, true, sub.subscriptionIds);
      out.packetId = session.allocatePacketId();
      session.inflight.set(out);
      outs.push(out);
    }
    if (replay.next >= replay.messages.length) session.replay = replay.following;
    const outlet = session.outlet;
    let i = 0;
    while (i < outs.length) {
      const end =
        outlet instanceof Connection ? sendRetainedRun(outlet, i, sub.subscriptionIds, NONE, outs) : i;
      for (; i < end; i++) {
        this.sent(session, outs[i]!.message);
        this.broker.store.sent(session, outs[i]!);
      }
      if (i < outs.length) this.sendInflight(session, outs[i++]!);
    }
  }

  /** On reconnect: resend what was in flight (DUP set, PUBREL for released QoS 2), then the queue. */
  resume(session: Session): void {
    // Expiry no longer applies once a PUBLISH has been sent: it is resent whatever its age [MQTT-4.3.3-7].
    for (const out of session.inflight.values()) {
      if (out.released) session.outlet!.sendPubrel(out.packetId);
      else session.outlet!.sendPublish(out, out.message, out.qos, out.retain, out.subscriptionIds);
    }
    this.pump(session);
  }

  /** Acknowledges an outgoing packet id (PUBACK, PUBCOMP, or a failed PUBREC) and refills the window. */
  complete(session: Session, packetId: number): boolean {
    const out = session.inflight.get(packetId);
    if (out === undefined) return false;
    session.inflight.delete(packetId);
    this.broker.store.completed(session, out);
    const outlet = session.outlet;
    if (outlet instanceof Connection && outlet.unacknowledged > 0) outlet.unacknowledged--;
    if (session.congested) this.broker.flow.progress(session);
    if (session.queuedCount > 0 || session.replay !== undefined) this.pump(session);
    return true;
  }

  /** Retained QoS 0 messages, sent at once: in runs where the connection can (retained-run.ts). */
  private sendRetainedNow(
    session: Session,
    messages: Message[],
    subscriptionIds: number[] | undefined,
  ): void {
    const outlet = session.outlet;
    let i = 0;
    while (i < messages.length) {
      const end = outlet instanceof Connection ? sendRetainedRun(outlet, i, subscriptionIds, messages) : i;
      for (; i < end; i++) this.sent(session, messages[i]!);
      if (i < messages.length) this.deliver(session, messages[i++]!, 0, true, subscriptionIds);
    }
  }

  /**
   * Sends the retained messages matching a new subscription, with the retain flag set
   * [MQTT-3.3.1-6]. QoS 0 ones go at once; QoS 1/2 ones follow as the inflight window opens (a
   * replay, paced by the subscriber), so no queue limit drops them.
   */
  sendRetained(session: Session, sub: Subscription): void {
    const now = Date.now();
    const paced: Message[] = [];
    const atOnce: Message[] = [];
    this.broker.retained.match(sub.matchFilter, (message) => {
      // A paced one is checked when its turn comes (replayRun).
      if (Math.min(message.qos, sub.qos) > 0) paced.push(message);
      else if (message.isExpired(now) || !this.broker.mayReceive(session, message.topic)) return;
      else if (atOnce.push(message) === RETAINED_RUN) {
        // The first bytes leave while the store is still being walked.
        this.sendRetainedNow(session, atOnce, sub.subscriptionIds);
        atOnce.length = 0;
      }
    });
    this.sendRetainedNow(session, atOnce, sub.subscriptionIds);
    if (paced.length === 0) return;
    const replay: RetainedReplay = {
      messages: paced,
      next: 0,
      subscription: sub,
      queuedBefore: session.queuedCount,
      following: undefined,
    };
    // A second replay waits behind the first, so each keeps its order.
    let last = session.replay;
    if (last === undefined) session.replay = replay;
    else {
      while (last.following !== undefined) last = last.following;
      last.following = replay;
      replay.queuedBefore = 0;
    }
    if (session.outlet !== undefined) this.pump(session);
  }
}
