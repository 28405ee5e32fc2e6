/**
 * The MQTT client that pub, sub, bridge and bench share: MQTT 3.1, 3.1.1 and 5.0 over any
 * Transport. One connection at a time; QoS 1/2 flows with an inflight window; keep alive; resend
 * with DUP after a reconnect; optional reconnect with backoff and an offline queue. This file is
 * the connection's state machine; the QoS flows are in outgoing.ts (what we owe the broker) and
 * session.ts (what we keep of a session), reconnection policy in reconnect.ts, pings in keepalive.ts.
 *
 *   const client = await Client.connect({ broker: { scheme: 'mqtt', host: 'localhost', port: 1883 } });
 *   client.on('message', (p) => console.log(p.topic, p.payload.toString()));
 *   await client.subscribe([{ topicFilter: 'a/#', qos: 1 }]);   // → granted codes
 *   await client.publish('a/b', Buffer.from('x'), { qos: 1 });   // resolves on PUBACK
 *   await client.end();                                          // waits for inflight, DISCONNECT
 */
import { EventEmitter } from 'node:events';
import { ConnectionError, MqxError, RefusedError, TimeoutError } from '../errors.js';
import { Decoder } from '../protocol/decoder.js';
import { encode, encodePublishHeader } from '../protocol/encoder.js';
import { ProtocolError } from '../protocol/errors.js';
import { connackReturnName, ReasonCode, reasonName } from '../protocol/reason-codes.js';
import type {
  AckPacket,
  ConnackPacket,
  DisconnectPacket,
  Packet,
  Properties,
  ProtocolVersion,
  PublishPacket,
  QoS,
  SubscriptionRequest,
} from '../protocol/types.js';
import { dial } from '../transport/dial.js';
import type { Transport } from '../transport/transport.js';
import { connectPacket, defaultClientId } from './connect-packet.js';
import { Keepalive } from './keepalive.js';
import type { ClientOptions } from './options.js';
import { OutgoingFlows, type Request, type Wire } from './outgoing.js';
import { Reconnection } from './reconnect.js';
import { ClientSession, type PublishResult } from './session.js';
import { OutboundAliases } from './topic-aliases.js';

export interface PublishOptions {
  qos?: QoS;
  retain?: boolean;
  /** MQTT 5.0 PUBLISH properties. */
  properties?: Properties;
  /**
   * QoS 1/2: send under this packet id rather than one the session picks, for a caller that keeps
   * its own durable record of the session (the in-broker bridge: its broker session's deliveries)
   * and so resumes flows an earlier process began. The id must be free in the session; the
   * session's `reserved` ids are the way to keep it so.
   */
  packetId?: number;
  /** With packetId: the PUBLISH may have been sent before, so it carries DUP. */
  dup?: boolean;
  /** With packetId, QoS 2: the broker's PUBREC came before, so only PUBREL is due. */
  released?: boolean;
  /** QoS 2: called when the broker's PUBREC comes, for a caller that records the flow's progress. */
  onPubrec?: () => void;
}

export type { PublishResult } from './session.js';

export interface ClientEvents {
  /**
   * Every PUBLISH from the broker, once (QoS 2 duplicates are dropped), topic aliases resolved.
   * `ack` sends its PUBACK or PUBREC: with options.manualAck the listener must call it once the
   * message is safe (a no-op for QoS 0 and after the first call); otherwise the client calls it
   * after the listeners ran.
   */
  message: [packet: PublishPacket, ack: () => void];
  /** A CONNACK accepted a connection (the first and every reconnect). */
  connect: [connack: ConnackPacket];
  /** The connection was lost and a reconnect is scheduled in `delayMs`. */
  offline: [error: MqxError, delayMs: number];
  /** The broker sent DISCONNECT (5.0). */
  disconnect: [packet: DisconnectPacket];
  /** The client is done for good: after end() (no error) or a failure it will not recover from. */
  close: [error?: MqxError];
}

type State = 'connecting' | 'connected' | 'reconnecting' | 'ending' | 'closed';

const DEFAULT_CONNECT_TIMEOUT_MS = 30_000;

/** The inflight window: our own cap, lowered by the broker's Receive Maximum, at least 1. */
function clampWindow(maxInflight: number | undefined, receiveMaximum: number): number {
  return Math.max(1, Math.min(maxInflight ?? 0xffff, receiveMaximum));
}

export class Client extends EventEmitter<ClientEvents> {
  readonly options: ClientOptions;
  readonly protocolVersion: ProtocolVersion;
  readonly clientId: string;
  /** The last accepted CONNACK. */
  connack: ConnackPacket | undefined;

  private state: State = 'connecting';
  private transport: Transport | undefined;
  /** Publishes in flight and inbound acknowledgements due: options.session, or the client's own. */
  private readonly session: ClientSession;
  private readonly flows: OutgoingFlows;
  private readonly reconnection: Reconnection;
  private readonly keepalive: Keepalive;
  private readonly sendAck = (packet: AckPacket) => this.send(packet);
  private readonly topicAliases = new Map<number, string>();
  private readonly outboundAliases = new OutboundAliases();
  /** pauseReading() holds, across reconnects, until resumeReading(). */
  private readingPaused = false;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private lostReason: MqxError | undefined;
  private readonly idleWaiters: Array<() => void> = [];

  /** Attach 'message' listeners before connect(): a kept session delivers right after CONNACK. */
  constructor(options: ClientOptions) {
    super();
    this.options = options;
    this.protocolVersion = options.protocolVersion ?? 4;
    this.clientId = options.clientId || defaultClientId();
    this.session = options.session ?? new ClientSession();
    const wire: Wire = {
      connected: () => this.state === 'connected',
      send: (packet) => this.send(packet),
      sendPublish: (packet, done) => this.sendPublish(packet, done),
      idle: () => this.checkIdle(),
    };
    this.flows = new OutgoingFlows(this.session, wire, clampWindow(options.maxInflight, 0xffff));
    this.reconnection = new Reconnection(() => this.options.reconnect);
    this.keepalive = new Keepalive(
      () => {
        if (this.state !== 'connected') return false;
        this.send({ type: 'pingreq' });
        return true;
      },
      () => {
        this.lostReason = new ConnectionError('no PINGRESP from the broker: connection is dead');
        this.transport?.destroy();
      },
    );
  }

  /** Shorthand for `new Client(options)` then connect(). */
  static async connect(options: ClientOptions): Promise<Client> {
    const client = new Client(options);
    await client.connect();
    return client;
  }

  get connected(): boolean {
    return this.state === 'connected';
  }

  /** Unacknowledged QoS 1/2 publishes plus those waiting for a window slot. */
  get pending(): number {
    return this.flows.pending;
  }

  /** How many more QoS 1/2 publishes would go on the wire at once rather than wait in the queue. */
  get sendQuota(): number {
    if (this.state !== 'connected') return 0;
    return Math.max(0, this.flows.window - this.flows.pending);
  }

  /**
   * Publishes and resolves when the flow completes: PUBACK (QoS 1), PUBCOMP (QoS 2), or the bytes
   * handed to the OS (QoS 0). Waits while the inflight window is full; while reconnecting, waits in
   * the offline queue. Rejects with RejectedError on a 5.0 reason code ≥ 0x80.
   */
  publish(topic: string, payload: Buffer | string, options: PublishOptions = {}): Promise<PublishResult> {
    const packet: PublishPacket = {
      type: 'publish',
      topic,
      payload: typeof payload === 'string' ? Buffer.from(payload) : payload,
      qos: options.qos ?? 0,
      retain: options.retain ?? false,
      dup: options.dup ?? false,
    };
    if (options.properties && this.protocolVersion === 5) packet.properties = options.properties;
    return new Promise<PublishResult>((resolve, reject) => {
      const refusal = this.refuseWork();
      if (refusal) return reject(refusal);
      if (
        this.state !== 'connected' &&
        this.flows.queue.length >= (this.options.offlineQueueLimit ?? 10_000)
      ) {
        return reject(new ConnectionError('offline queue is full while reconnecting'));
      }
      if (options.packetId !== undefined) {
        if (packet.qos === 0 || !this.session.ids.claim(options.packetId))
          return reject(
            new Error(`packet id ${options.packetId} is not free for a QoS ${packet.qos} publish`),
          );
        packet.packetId = options.packetId;
      }
      this.flows.enqueue({
        packet,
        released: options.released === true && packet.qos === 2,
        onPubrec: options.onPubrec,
        resolve,
        reject,
      });
    });
  }

  /** Subscribes and resolves with the SUBACK codes, one per request (granted QoS, or ≥ 0x80 for a refusal). */
  subscribe(subscriptions: SubscriptionRequest[], properties?: Properties): Promise<number[]> {
    return this.request({
      type: 'subscribe',
      packetId: 0,
      subscriptions,
      ...(properties && this.protocolVersion === 5 ? { properties } : {}),
    });
  }

  /** Unsubscribes and resolves with the UNSUBACK codes (5.0), or zeros for 3.1.x. */
  unsubscribe(topicFilters: string[], properties?: Properties): Promise<number[]> {
    return this.request({
      type: 'unsubscribe',
      packetId: 0,
      topicFilters,
      ...(properties && this.protocolVersion === 5 ? { properties } : {}),
    });
  }

  /**
   * Ends cleanly: waits up to `timeoutMs` (default 10 s) for queued and inflight publishes and for
   * the PUBREL of every QoS 2 message acknowledged with PUBREC (so its PUBCOMP goes before
   * DISCONNECT), sends DISCONNECT and closes. Publishes still unacknowledged then are rejected.
   */
  async end(
    options: { reasonCode?: number; properties?: Properties; timeoutMs?: number } = {},
  ): Promise<void> {
    if (this.state === 'closed') return;
    if (this.state === 'connected' && !this.isIdle()) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, options.timeoutMs ?? 10_000);
        this.idleWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    if ((this.state as State) === 'closed') return;
    const wasConnected = this.state === 'connected';
    this.state = 'ending';
    clearTimeout(this.reconnectTimer);
    const transport = this.transport;
    if (wasConnected && transport && !transport.closed) {
      const packet: DisconnectPacket = { type: 'disconnect' };
      if (this.protocolVersion === 5) {
        if (options.reasonCode) packet.reasonCode = options.reasonCode;
        if (options.properties) packet.properties = options.properties;
      }
      this.send(packet);
      await new Promise<void>((resolve) => {
        // The broker closes after DISCONNECT; do not depend on it doing so promptly.
        const timer = setTimeout(() => {
          transport.destroy();
          resolve();
        }, 2_000);
        transport.once('close', () => {
          clearTimeout(timer);
          resolve();
        });
        transport.end();
      });
    } else {
      transport?.destroy();
    }
    this.finish(undefined);
  }

  /** Closes at once without DISCONNECT (the broker will publish the will). */
  destroy(): void {
    if (this.state === 'closed') return;
    this.state = 'ending';
    clearTimeout(this.reconnectTimer);
    this.transport?.destroy();
    this.finish(undefined);
  }

  // ---- connection lifecycle ----

  /**
   * Connects and resolves after an accepted CONNACK; with reconnect on, retries until
   * connectTimeoutMs. Rejects with ConnectionError, RefusedError or TimeoutError. Call once.
   */
  async connect(): Promise<void> {
    const timeoutMs = this.options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        await this.open(deadline);
        return;
      } catch (err) {
        const error = err instanceof MqxError ? err : new ConnectionError(String(err));
        // end() or destroy() while retrying: stop here.
        if ((this.state as State) === 'closed') throw error;
        const delay = this.reconnection.afterFailedConnect(error);
        if (delay === undefined) {
          this.finish(error);
          throw error;
        }
        if (Date.now() + delay >= deadline) {
          const timeout = new TimeoutError(`not connected after ${timeoutMs / 1000} s: ${error.message}`);
          this.finish(timeout);
          throw timeout;
        }
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  /** Dials, sends CONNECT and waits for CONNACK; on success the connection is live. */
  private async open(deadline: number): Promise<void> {
    const remaining = () => Math.max(1, deadline - Date.now());
    const timeoutMs = this.options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    let transport: Transport;
    try {
      transport = await dial({ ...this.options.broker, timeoutMs: remaining() });
    } catch (err) {
      if (err instanceof ConnectionError && /timed out/.test(err.message) && Date.now() >= deadline - 5) {
        throw new TimeoutError(`not connected after ${timeoutMs / 1000} s: ${err.message}`);
      }
      throw err;
    }
    if (this.state === 'ending' || this.state === 'closed') {
      transport.destroy();
      throw new ConnectionError('client ended while connecting');
    }
    await new Promise<void>((resolve, reject) => {
      // One decoder for the whole connection: packets that share a chunk with the CONNACK (a
      // persistent session's queued messages) must reach onPacket, not be lost with the handshake.
      let accepted = false;
      const timer = setTimeout(() => {
        transport.destroy();
        reject(new TimeoutError(`no CONNACK from the broker within ${timeoutMs / 1000} s`));
      }, remaining());
      const fail = (err: MqxError) => {
        clearTimeout(timer);
        transport.destroy();
        reject(err);
      };
      const decoder = new Decoder(
        (packet) => {
          if (accepted) return this.onPacket(packet);
          this.options.trace?.('in', packet);
          if (packet.type !== 'connack') {
            return fail(
              new ConnectionError(`protocol error: expected CONNACK, got ${packet.type.toUpperCase()}`),
            );
          }
          if (packet.reasonCode !== 0) {
            const code = packet.reasonCode;
            const name = this.protocolVersion === 5 ? reasonName(code) : connackReturnName(code);
            return fail(new RefusedError(`connection refused: ${name}`, code));
          }
          clearTimeout(timer);
          transport.off('close', onHandshakeClose);
          accepted = true;
          this.onConnected(transport, packet);
          resolve();
        },
        { protocolVersion: this.protocolVersion, sender: 'server' },
      );
      transport.on('data', (chunk: Buffer) => {
        try {
          decoder.push(chunk);
        } catch (err) {
          const error = new ConnectionError(`protocol error from the broker: ${(err as Error).message}`);
          if (!accepted) return fail(error);
          this.abort(error, err instanceof ProtocolError ? err.reasonCode : ReasonCode.MalformedPacket);
        }
      });
      const onHandshakeClose = () =>
        fail(new ConnectionError('the broker closed the connection before CONNACK'));
      transport.once('close', onHandshakeClose);
      transport.on('error', (err) => {
        this.lostReason ??= new ConnectionError(`connection lost: ${err.message}`);
      });
      this.transport = transport;
      this.send(connectPacket(this.options, this.protocolVersion, this.clientId));
    });
  }

  private onConnected(transport: Transport, connack: ConnackPacket): void {
    this.connack = connack;
    this.reconnection.succeeded();
    this.lostReason = undefined;
    this.state = 'connected';
    const props = connack.properties ?? {};
    this.flows.window = clampWindow(this.options.maxInflight, props.receiveMaximum ?? 0xffff);
    this.flows.serverMaxPacket = props.maximumPacketSize ?? Infinity;
    this.topicAliases.clear();
    this.outboundAliases.reset(
      this.options.topicAliases && this.protocolVersion === 5 ? (props.topicAliasMaximum ?? 0) : 0,
    );
    this.session.connected(connack.sessionPresent, this.sendAck);
    transport.once('close', () => this.onClose(transport));
    if (this.readingPaused) transport.pause();
    this.keepalive.start((props.serverKeepAlive ?? this.options.keepalive ?? 60) * 1000);
    this.flows.resend(connack.sessionPresent);
    this.emit('connect', connack);
    this.flows.pump();
  }

  /** Stops reading what the broker sends, so that it waits (TCP flow control), until resumeReading(). */
  pauseReading(): void {
    this.readingPaused = true;
    this.transport?.pause();
  }

  resumeReading(): void {
    this.readingPaused = false;
    this.transport?.resume();
  }

  private onClose(transport: Transport): void {
    if (transport !== this.transport) return;
    this.keepalive.stop();
    this.session.disconnected(this.sendAck);
    if (this.state === 'ending' || this.state === 'closed') return;
    const reason = this.lostReason ?? new ConnectionError('connection closed by the broker');
    if (!this.reconnection.enabled) {
      this.finish(reason);
      return;
    }
    this.state = 'reconnecting';
    this.scheduleReconnect(reason);
  }

  private scheduleReconnect(reason: MqxError): void {
    const delay = this.reconnection.beforeReconnect();
    if (delay === undefined) {
      this.finish(
        new ConnectionError(
          `gave up after ${this.reconnection.attempts} reconnect attempts: ${reason.message}`,
        ),
      );
      return;
    }
    this.emit('offline', reason, delay);
    this.reconnectTimer = setTimeout(() => {
      const deadline = Date.now() + (this.options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS);
      this.open(deadline).catch((err: unknown) => {
        if (this.state !== 'reconnecting') return;
        if (err instanceof RefusedError) this.finish(err);
        else this.scheduleReconnect(err instanceof MqxError ? err : new ConnectionError(String(err)));
      });
    }, delay);
  }

  /** Closes the connection after a protocol violation; 5.0 brokers get a DISCONNECT with the reason. */
  private abort(error: MqxError, reasonCode: number): void {
    this.lostReason = error;
    if (this.protocolVersion === 5 && this.state === 'connected')
      this.send({ type: 'disconnect', reasonCode });
    this.transport?.end();
    setTimeout(() => this.transport?.destroy(), 100).unref();
  }

  /** The final state: every waiting promise settles, 'close' fires once. */
  private finish(error: MqxError | undefined): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.keepalive.stop();
    clearTimeout(this.reconnectTimer);
    this.session.disconnected(this.sendAck);
    // A session handed in outlives this client: the next Client with it completes these flows.
    this.flows.failAll(error ?? new ConnectionError('client closed'), this.options.session !== undefined);
    this.notifyIdle();
    this.emit('close', error);
  }

  private refuseWork(): MqxError | undefined {
    if (this.state === 'closed') return this.lostReason ?? new ConnectionError('client is closed');
    if (this.state === 'ending') return new ConnectionError('client is ending');
    return undefined;
  }

  // ---- sending ----

  /** The --debug trace shows only what is really written: nothing once the sending side is closed. */
  private send(packet: Packet): void {
    const transport = this.transport;
    if (!transport?.writable) return;
    this.options.trace?.('out', packet);
    this.keepalive.sent();
    transport.write(encode(packet, this.protocolVersion));
  }

  /** Header and payload as two writes in one batch: the payload is never copied. */
  private sendPublish(stored: PublishPacket, done?: (err?: Error | null) => void): void {
    const transport = this.transport;
    if (!transport?.writable) {
      done?.(new Error('connection is closed'));
      return;
    }
    // What is kept for a resend names its topic: aliases do not outlive the connection.
    const packet = this.outboundAliases.apply(stored);
    this.options.trace?.('out', packet);
    this.keepalive.sent();
    const { header } = encodePublishHeader(packet, this.protocolVersion);
    transport.write(header);
    transport.write(packet.payload, done);
  }

  private request(packet: Request['packet']): Promise<number[]> {
    return new Promise<number[]>((resolve, reject) => {
      const refusal = this.refuseWork();
      if (refusal) return reject(refusal);
      // While reconnecting it waits with the flows and goes out in their resend().
      this.flows.request(packet, { resolve, reject });
    });
  }

  /** Nothing queued, nothing unacknowledged either way: end() may send DISCONNECT. */
  private isIdle(): boolean {
    return this.flows.pending === 0 && this.session.awaitingRelease === 0;
  }

  private checkIdle(): void {
    if (this.isIdle()) this.notifyIdle();
  }

  private notifyIdle(): void {
    for (const waiter of this.idleWaiters.splice(0)) waiter();
  }

  // ---- receiving ----

  private onPacket(packet: Packet): void {
    this.options.trace?.('in', packet);
    this.keepalive.heard();
    switch (packet.type) {
      case 'publish':
        this.onPublish(packet);
        return;
      case 'puback':
      case 'pubrec':
      case 'pubcomp':
        this.flows.onAck(packet);
        return;
      case 'pubrel':
        this.onPubrel(packet);
        return;
      case 'suback':
        this.flows.settleRequest(packet.packetId, 'subscribe', packet.reasonCodes);
        return;
      case 'unsuback':
        this.flows.settleRequest(packet.packetId, 'unsubscribe', packet.reasonCodes);
        return;
      case 'pingresp':
        return;
      case 'disconnect': {
        const code = packet.reasonCode ?? 0;
        const text = packet.properties?.reasonString ? `: ${packet.properties.reasonString}` : '';
        this.lostReason = new ConnectionError(`the broker disconnected: ${reasonName(code)}${text}`);
        this.emit('disconnect', packet);
        return;
      }
      default:
        this.abort(
          new ConnectionError(`protocol error: unexpected ${packet.type.toUpperCase()} from the broker`),
          ReasonCode.ProtocolError,
        );
    }
  }

  private onPublish(packet: PublishPacket): void {
    const alias = packet.properties?.topicAlias;
    if (alias !== undefined) {
      if (packet.topic) {
        this.topicAliases.set(alias, packet.topic);
      } else {
        const topic = this.topicAliases.get(alias);
        if (topic === undefined) {
          this.abort(
            new ConnectionError(`protocol error: unknown topic alias ${alias}`),
            ReasonCode.TopicAliasInvalid,
          );
          return;
        }
        packet.topic = topic;
      }
    }
    const ack = this.session.received(packet);
    if (ack === undefined) return;
    this.emit('message', packet, ack);
    if (!this.options.manualAck) ack();
  }

  private onPubrel(packet: AckPacket): void {
    const known = this.session.released(packet.packetId);
    const ack: AckPacket = { type: 'pubcomp', packetId: packet.packetId };
    if (!known && this.protocolVersion === 5) ack.reasonCode = ReasonCode.PacketIdentifierNotFound;
    this.send(ack);
    this.checkIdle();
  }
}
