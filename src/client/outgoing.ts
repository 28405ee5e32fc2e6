/**
 * The client's outbound QoS flows: publishes waiting for a window slot (and, while reconnecting,
 * in the offline queue), publishes on the wire until PUBACK or PUBCOMP, and SUBSCRIBE/UNSUBSCRIBE
 * requests until their acknowledgement. The Client owns the connection; this owns what is owed.
 */
import { ConnectionError, type MqxError, RejectedError } from '../errors.js';
import { ReasonCode, reasonName } from '../protocol/reason-codes.js';
import type { AckPacket, Packet, PublishPacket } from '../protocol/types.js';
import type { PacketIds } from './packet-ids.js';
import type { ClientSession, Deferred, OutgoingFlow, PublishResult } from './session.js';

export interface Queued extends Deferred<PublishResult> {
  packet: PublishPacket;
  /** PublishOptions.released: PUBREL, not the PUBLISH, goes once it leaves the queue. */
  released: boolean;
  onPubrec: (() => void) | undefined;
}

export interface Request extends Deferred<number[]> {
  packet: Extract<Packet, { type: 'subscribe' | 'unsubscribe' }>;
}

/** What the flows need from the connection. */
export interface Wire {
  connected(): boolean;
  send(packet: Packet): void;
  /** A PUBLISH, header and payload; `done` once the bytes left (QoS 0). */
  sendPublish(packet: PublishPacket, done?: (err?: Error | null) => void): void;
  /** Nothing is queued or unacknowledged any more. */
  idle(): void;
}

export class OutgoingFlows {
  readonly queue: Queued[] = [];
  readonly requests = new Map<number, Request>();
  /** Our cap on unacknowledged QoS 1/2 publishes, lowered by the broker's Receive Maximum. */
  window: number;
  /** The broker's Maximum Packet Size. */
  serverMaxPacket = Infinity;

  constructor(
    private readonly session: ClientSession,
    private readonly wire: Wire,
    window: number,
  ) {
    this.window = window;
  }

  private get ids(): PacketIds {
    return this.session.ids;
  }

  private get outgoing(): Map<number, OutgoingFlow> {
    return this.session.outgoing;
  }

  /** Unacknowledged QoS 1/2 publishes plus those waiting for a window slot. */
  get pending(): number {
    return this.outgoing.size + this.queue.length;
  }

  enqueue(entry: Queued): void {
    this.queue.push(entry);
    this.pump();
  }

  /** Sends a SUBSCRIBE or UNSUBSCRIBE now, or (while reconnecting) once connected again. */
  request(packet: Request['packet'], settle: Deferred<number[]>): void {
    const id = this.ids.take();
    if (id === undefined) {
      settle.reject(new ConnectionError('no free packet identifier'));
      return;
    }
    packet.packetId = id;
    this.requests.set(id, { packet, ...settle });
    if (this.wire.connected()) this.wire.send(packet);
  }

  /** After a reconnect: unacknowledged publishes go again (DUP when the broker kept the session), PUBRELs too. */
  resend(sessionPresent: boolean): void {
    for (const entry of this.outgoing.values()) {
      if (entry.waiting === 'comp' && sessionPresent) {
        this.wire.send({ type: 'pubrel', packetId: entry.packet.packetId! });
      } else {
        entry.waiting = 'ack';
        this.wire.sendPublish({ ...entry.packet, dup: sessionPresent });
      }
    }
    for (const request of this.requests.values()) this.wire.send(request.packet);
  }

  /** Moves queued publishes onto the wire while the window has room. */
  pump(): void {
    while (this.wire.connected() && this.queue.length > 0) {
      const next = this.queue[0]!;
      const { packet } = next;
      if (packet.qos > 0 && this.outgoing.size >= this.window) return;
      this.queue.shift();
      if (!next.released && !this.fits(next)) continue;
      if (packet.qos === 0) {
        this.wire.sendPublish(packet, (err) =>
          err
            ? next.reject(new ConnectionError(`publish not sent: ${err.message}`))
            : next.resolve({ reasonCode: 0 }),
        );
        continue;
      }
      const id = packet.packetId ?? this.ids.take();
      if (id === undefined) {
        this.queue.unshift(next);
        return;
      }
      packet.packetId = id;
      const { resolve, reject, onPubrec } = next;
      if (next.released) {
        this.outgoing.set(id, { packet, resolve, reject, onPubrec, waiting: 'comp' });
        this.wire.send({ type: 'pubrel', packetId: id });
        continue;
      }
      this.outgoing.set(id, { packet, resolve, reject, onPubrec, waiting: 'ack' });
      this.wire.sendPublish(packet);
    }
    if (this.queue.length === 0 && this.outgoing.size === 0) this.wire.idle();
  }

  /** A PUBLISH larger than the broker's Maximum Packet Size would get us disconnected; refuse it here. */
  private fits(entry: Queued): boolean {
    if (this.serverMaxPacket === Infinity) return true;
    const size = entry.packet.payload.length + Buffer.byteLength(entry.packet.topic) + 16;
    if (size <= this.serverMaxPacket) return true;
    if (entry.packet.packetId !== undefined) this.ids.release(entry.packet.packetId);
    entry.reject(
      new RejectedError(
        `publish to '${entry.packet.topic}' exceeds the broker's maximum packet size ${this.serverMaxPacket}`,
        ReasonCode.PacketTooLarge,
      ),
    );
    return false;
  }

  /** PUBACK, PUBREC or PUBCOMP from the broker. */
  onAck(packet: AckPacket): void {
    const entry = this.outgoing.get(packet.packetId);
    if (!entry) return; // a late duplicate after a resend; nothing waits for it
    const code = packet.reasonCode ?? 0;
    const expected = entry.packet.qos === 1 ? 'puback' : entry.waiting === 'ack' ? 'pubrec' : 'pubcomp';
    if (packet.type !== expected) {
      // A PUBREC retransmitted after our PUBREL is answered with PUBREL again (MQTT 4.3.3).
      if (packet.type === 'pubrec' && expected === 'pubcomp')
        this.wire.send({ type: 'pubrel', packetId: packet.packetId });
      return;
    }
    if (packet.type === 'pubrec' && code < 0x80) {
      entry.waiting = 'comp';
      entry.onPubrec?.();
      this.wire.send({ type: 'pubrel', packetId: packet.packetId });
      return;
    }
    this.outgoing.delete(packet.packetId);
    this.ids.release(packet.packetId);
    if (code >= 0x80) {
      const text = packet.properties?.reasonString ? `: ${packet.properties.reasonString}` : '';
      entry.reject(
        new RejectedError(`publish to '${entry.packet.topic}' rejected: ${reasonName(code)}${text}`, code),
      );
    } else {
      entry.resolve({ reasonCode: code, ...(packet.properties ? { properties: packet.properties } : {}) });
    }
    this.pump();
  }

  /** SUBACK or UNSUBACK. */
  settleRequest(packetId: number, kind: Request['packet']['type'], codes: number[] | undefined): void {
    const request = this.requests.get(packetId);
    if (!request || request.packet.type !== kind) return;
    this.requests.delete(packetId);
    this.ids.release(packetId);
    // 3.1.x UNSUBACK carries no codes: every filter counts as removed.
    const filters = request.packet.type === 'unsubscribe' ? request.packet.topicFilters : [];
    request.resolve(codes ?? filters.map(() => 0));
  }

  /**
   * The client is closed for good: everything still owed fails with `failure`, except the
   * publishes on the wire of a session handed in (`keepInFlight`), which the next Client settles.
   */
  failAll(failure: MqxError, keepInFlight: boolean): void {
    if (!keepInFlight) {
      for (const entry of this.outgoing.values()) entry.reject(failure);
      this.outgoing.clear();
    }
    for (const entry of this.queue) {
      if (entry.packet.packetId !== undefined) this.ids.release(entry.packet.packetId);
      entry.reject(failure);
    }
    for (const [id, request] of this.requests) {
      this.ids.release(id);
      request.reject(failure);
    }
    this.queue.length = 0;
    this.requests.clear();
  }
}
