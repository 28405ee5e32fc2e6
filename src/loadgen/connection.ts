/**
 * One load-generator connection: the shared dialer and decoder with none of the Client's
 * bookkeeping. Incoming PUBLISHes are acknowledged from four-byte templates, and every ack a
 * received chunk calls for leaves in one write after the chunk is decoded.
 */
import type { ClientOptions } from '../client/options.js';
import { ConnectionError, RefusedError, TimeoutError } from '../errors.js';
import { Decoder } from '../protocol/decoder.js';
import { encode } from '../protocol/encoder.js';
import { connackReturnName, reasonName } from '../protocol/reason-codes.js';
import type { Packet, ProtocolVersion, PublishPacket, QoS } from '../protocol/types.js';
import { dial } from '../transport/dial.js';
import type { Transport } from '../transport/transport.js';
import { nowMs } from './clock.js';
import { type AckType, ackTemplates, connectPacket } from './packets.js';

export interface ConnectionHandlers {
  /**
   * `receivedAt` (nowMs) is when the chunk that held it was read: every packet of a chunk arrived
   * then, and the time spent on the ones before it is this process's, not the broker's.
   */
  publish(packet: PublishPacket, receivedAt: number): void;
  /** A QoS 1 or 2 publish of ours is finished (PUBACK or PUBCOMP); `failed` for a 5.0 error code. */
  complete(packetId: number, failed: boolean): void;
  /** A received chunk has been handled: the moment to send more. */
  turn(): void;
  /** The connection ended while it was meant to be open. */
  lost(reason: string): void;
}

const NO_HANDLERS: ConnectionHandlers = { publish() {}, complete() {}, turn() {}, lost() {} };

export class BenchConnection {
  handlers: ConnectionHandlers = NO_HANDLERS;
  /** The broker's Receive Maximum (5.0), else the protocol's ceiling. */
  receiveMaximum = 0xffff;
  private readonly acks: Record<AckType, Buffer>;
  private readonly decoder: Decoder;
  private pending = Buffer.allocUnsafe(4096);
  private pendingLength = 0;
  /** When the chunk being decoded was read (nowMs): the receive time of each packet in it. */
  private chunkAt = 0;
  private closing = false;
  private waiters = new Map<number, (packet: Packet) => void>();
  private connack: ((packet: Packet) => void) | undefined;
  private pingsSent = 0;
  private pingsAnswered = 0;
  /** roundTrip() callers, each with the count of PINGRESPs that answers its PINGREQ. */
  private pongWaiters: Array<{ at: number; resolve: () => void }> = [];

  private constructor(
    private readonly transport: Transport,
    readonly version: ProtocolVersion,
    readonly clientId: string,
  ) {
    this.acks = ackTemplates(version);
    this.decoder = new Decoder((packet) => this.onPacket(packet), { protocolVersion: version });
    transport.on('data', (chunk) => this.onData(chunk));
    transport.on('error', () => undefined);
    transport.on('close', () => {
      if (!this.closing) this.handlers.lost('connection closed by the broker');
    });
  }

  /** Dials, sends CONNECT and resolves on a successful CONNACK; rejects with the reason otherwise. */
  static async open(options: ClientOptions, clientId: string, timeoutMs: number): Promise<BenchConnection> {
    const version = options.protocolVersion ?? 4;
    const transport = await dial({ ...options.broker, timeoutMs });
    const conn = new BenchConnection(transport, version, clientId);
    try {
      const connack = await conn.request(timeoutMs, 'CONNACK', (resolve) => {
        conn.connack = resolve;
        transport.write(connectPacket(options, clientId));
      });
      if (connack.type !== 'connack') throw new Error(`expected CONNACK, got ${connack.type.toUpperCase()}`);
      if (connack.reasonCode !== 0) {
        const code = connack.reasonCode;
        const name = version === 5 ? reasonName(code) : connackReturnName(code);
        throw new RefusedError(`connection refused: ${name}`, code);
      }
      conn.receiveMaximum = connack.properties?.receiveMaximum ?? 0xffff;
      return conn;
    } catch (err) {
      conn.close();
      throw err;
    }
  }

  /** Subscribes and resolves with the granted QoS per filter; rejects on a failure code. */
  async subscribe(
    filters: Array<{ topicFilter: string; qos: QoS }>,
    packetId: number,
    timeoutMs: number,
  ): Promise<number[]> {
    const suback = await this.request(timeoutMs, 'SUBACK', (resolve) => {
      this.waiters.set(packetId, resolve);
      this.transport.write(encode({ type: 'subscribe', packetId, subscriptions: filters }, this.version));
    });
    if (suback.type !== 'suback') throw new Error(`expected SUBACK, got ${suback.type.toUpperCase()}`);
    const refused = suback.reasonCodes.find((c) => c >= 0x80);
    if (refused !== undefined) throw new Error(`subscription refused with code 0x${refused.toString(16)}`);
    return suback.reasonCodes;
  }

  /** Queues bytes; false means wait for drained(). */
  write(bytes: Buffer): boolean {
    return this.transport.write(bytes);
  }

  drained(): Promise<void> {
    return new Promise((resolve) => this.transport.once('drain', resolve));
  }

  /** Resolves once everything written so far has been handed to the OS. */
  flushed(): Promise<void> {
    return new Promise((resolve) => this.transport.write(Buffer.alloc(0), () => resolve()));
  }

  ping(): void {
    if (this.transport.closed) return;
    this.transport.write(PINGREQ);
    this.pingsSent++;
  }

  /**
   * Resolves when the broker answers a PINGREQ sent now: as it answers in order, it has then read
   * everything written before. Never resolves if the connection ends first.
   */
  roundTrip(): Promise<void> {
    this.ping();
    const at = this.pingsSent;
    return new Promise((resolve) => this.pongWaiters.push({ at, resolve }));
  }

  get closed(): boolean {
    return this.transport.closed;
  }

  /** Sends DISCONNECT and closes; safe to call twice. */
  close(): void {
    if (this.closing) return;
    this.closing = true;
    if (!this.transport.closed) {
      this.transport.write(encode({ type: 'disconnect' }, this.version));
      this.transport.end();
    }
  }

  /** Queues an acknowledgement for the end of the current chunk. */
  queueAck(type: AckType, packetId: number): void {
    if (this.pendingLength + 4 > this.pending.length) {
      const grown = Buffer.allocUnsafe(this.pending.length * 2);
      this.pending.copy(grown, 0, 0, this.pendingLength);
      this.pending = grown;
    }
    const at = this.pendingLength;
    this.acks[type].copy(this.pending, at);
    this.pending[at + 2] = packetId >>> 8;
    this.pending[at + 3] = packetId & 0xff;
    this.pendingLength += 4;
  }

  private request(
    timeoutMs: number,
    what: string,
    send: (resolve: (p: Packet) => void) => void,
  ): Promise<Packet> {
    return new Promise<Packet>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new TimeoutError(`no ${what} within ${timeoutMs} ms`)),
        timeoutMs,
      );
      const onClose = () => reject(new ConnectionError(`connection closed before ${what}`));
      this.transport.once('close', onClose);
      send((packet) => {
        clearTimeout(timer);
        this.transport.off('close', onClose);
        resolve(packet);
      });
    });
  }

  private onData(chunk: Buffer): void {
    this.chunkAt = nowMs();
    try {
      this.decoder.push(chunk);
    } catch (err) {
      this.handlers.lost(`protocol error from the broker: ${(err as Error).message}`);
      this.closing = true;
      this.transport.destroy();
      return;
    }
    if (this.pendingLength > 0) {
      this.transport.write(Buffer.from(this.pending.subarray(0, this.pendingLength)));
      this.pendingLength = 0;
    }
    this.handlers.turn();
  }

  private onPacket(packet: Packet): void {
    switch (packet.type) {
      case 'publish':
        if (packet.qos === 1) this.queueAck('puback', packet.packetId!);
        else if (packet.qos === 2) this.queueAck('pubrec', packet.packetId!);
        this.handlers.publish(packet, this.chunkAt);
        return;
      case 'pubrel':
        this.queueAck('pubcomp', packet.packetId);
        return;
      case 'puback':
      case 'pubcomp':
        this.handlers.complete(packet.packetId, (packet.reasonCode ?? 0) >= 0x80);
        return;
      case 'pubrec':
        if ((packet.reasonCode ?? 0) >= 0x80) this.handlers.complete(packet.packetId, true);
        else this.queueAck('pubrel', packet.packetId);
        return;
      case 'connack':
        this.connack?.(packet);
        this.connack = undefined;
        return;
      case 'suback': {
        const waiter = this.waiters.get(packet.packetId);
        this.waiters.delete(packet.packetId);
        waiter?.(packet);
        return;
      }
      case 'pingresp':
        this.pingsAnswered++;
        while (this.pongWaiters.length > 0 && this.pongWaiters[0]!.at <= this.pingsAnswered) {
          this.pongWaiters.shift()!.resolve();
        }
        return;
      case 'disconnect':
        this.handlers.lost(`DISCONNECT from the broker, reason 0x${(packet.reasonCode ?? 0).toString(16)}`);
        return;
      default:
        return;
    }
  }
}

const PINGREQ = encode({ type: 'pingreq' }, 4);
