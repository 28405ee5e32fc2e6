import net from 'node:net';
import { Decoder } from '../../src/protocol/decoder.js';
import { encode } from '../../src/protocol/encoder.js';
import type { Packet, QoS } from '../../src/protocol/types.js';

/**
 * Clients for the crash test, on raw sockets and our codec so that the test knows exactly which
 * messages the broker acknowledged. Each keeps a persistent session (clean false) and reconnects
 * whenever the broker goes away, resending what is unacknowledged as MQTT 4.4 asks.
 */
abstract class PersistentPeer {
  private socket: net.Socket | undefined;
  private stopped = true;
  connected = false;
  connects = 0;

  constructor(
    private readonly port: number,
    readonly clientId: string,
  ) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.open();
  }

  /** Ends the session's connection cleanly; the session stays on the broker. */
  stop(): void {
    this.stopped = true;
    if (this.connected) this.send({ type: 'disconnect' });
    this.connected = false;
    this.socket?.end();
    this.socket = undefined;
  }

  protected send(packet: Packet): void {
    if (this.connected) this.socket!.write(encode(packet, 4));
  }

  protected abstract onConnected(sessionPresent: boolean): void;
  protected abstract onPacket(packet: Packet): void;

  private open(): void {
    const socket = net.connect({ port: this.port, host: '127.0.0.1' });
    this.socket = socket;
    const decoder = new Decoder(
      (p) => {
        if (this.socket !== socket) return;
        if (p.type === 'connack') {
          if (p.reasonCode !== 0) return;
          this.connected = true;
          this.connects++;
          this.onConnected(p.sessionPresent);
        } else {
          this.onPacket(p);
        }
      },
      { protocolVersion: 4 },
    );
    socket.on('connect', () =>
      socket.write(
        encode(
          {
            type: 'connect',
            protocolName: 'MQTT',
            protocolVersion: 4,
            bridge: false,
            clean: false,
            keepalive: 60,
            clientId: this.clientId,
          },
          4,
        ),
      ),
    );
    socket.on('data', (chunk: Buffer) => decoder.push(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      if (this.socket !== socket) return;
      this.connected = false;
      this.socket = undefined;
      if (!this.stopped) setTimeout(() => this.open(), 50);
    });
  }
}

/** Publishes `total` messages `index:seq` to `crash/p<index>` with at most `window` unfinished. */
export class CrashPublisher extends PersistentPeer {
  private nextSeq = 0;
  /** Unfinished messages by packet id, in the order they were first sent. */
  private readonly unfinished = new Map<number, { seq: number; released: boolean }>();
  /** Messages the broker acknowledged (PUBACK, or PUBREC for QoS 2). */
  acked = 0;
  private resolveDone: (() => void) | undefined;
  readonly done: Promise<void>;

  constructor(
    port: number,
    readonly index: number,
    readonly qos: QoS,
    readonly total: number,
    private readonly window: number,
  ) {
    super(port, `crash-pub-${index}`);
    this.done = new Promise((resolve) => {
      this.resolveDone = resolve;
    });
  }

  protected onConnected(): void {
    for (const [packetId, m] of this.unfinished) {
      if (m.released) this.send({ type: 'pubrel', packetId });
      else this.send(this.publishPacket(m.seq, packetId, true));
    }
    this.pump();
  }

  protected onPacket(p: Packet): void {
    if (p.type !== 'puback' && p.type !== 'pubrec' && p.type !== 'pubcomp') return;
    const m = this.unfinished.get(p.packetId);
    if (m === undefined) return;
    if (p.type === 'puback') {
      this.unfinished.delete(p.packetId);
      this.acked++;
    } else if (p.type === 'pubrec') {
      if (!m.released) this.acked++;
      m.released = true;
      this.send({ type: 'pubrel', packetId: p.packetId });
    } else if (m.released) {
      this.unfinished.delete(p.packetId);
    }
    this.pump();
  }

  private pump(): void {
    while (this.connected && this.unfinished.size < this.window && this.nextSeq < this.total) {
      const seq = this.nextSeq++;
      const packetId = (seq % 65000) + 1;
      this.unfinished.set(packetId, { seq, released: false });
      this.send(this.publishPacket(seq, packetId, false));
    }
    if (this.nextSeq === this.total && this.unfinished.size === 0) this.resolveDone?.();
  }

  private publishPacket(seq: number, packetId: number, dup: boolean): Packet {
    return {
      type: 'publish',
      topic: `crash/p${this.index}`,
      payload: Buffer.from(`${this.index}:${seq}`),
      qos: this.qos,
      retain: false,
      dup,
      packetId,
    };
  }
}

/** Receives `crash/#` at QoS 2 and checks every message: none missing, QoS 2 once, in order. */
export class CrashSubscriber extends PersistentPeer {
  private readonly seen: Uint8Array[];
  private readonly lastNew: number[];
  private readonly awaitingRelease = new Set<number>();
  received = 0;
  qos1Duplicates = 0;
  qos2Duplicates = 0;
  outOfOrder = 0;
  /** Reconnects the broker answered without the session: its subscription was lost. */
  sessionsLost = 0;
  lastReceivedAt = 0;
  subacked = 0;
  private subscribed = false;

  constructor(
    port: number,
    name: string,
    private readonly perPublisher: number[],
  ) {
    super(port, `crash-sub-${name}`);
    this.seen = perPublisher.map((n) => new Uint8Array(n));
    this.lastNew = perPublisher.map(() => -1);
  }

  get expected(): number {
    return this.perPublisher.reduce((a, b) => a + b, 0);
  }

  get complete(): boolean {
    return this.received === this.expected;
  }

  protected onConnected(sessionPresent: boolean): void {
    if (sessionPresent && this.subscribed) return;
    if (this.subscribed) {
      this.sessionsLost++;
      // The session is gone, so is its state: a client starts over [MQTT-4.1.0-1].
      this.awaitingRelease.clear();
    }
    this.subscribed = true;
    this.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topicFilter: 'crash/#', qos: 2 }] });
  }

  protected onPacket(p: Packet): void {
    if (p.type === 'suback') {
      this.subacked++;
    } else if (p.type === 'publish') {
      if (p.qos === 1) {
        this.record(p.payload.toString(), 1);
        this.send({ type: 'puback', packetId: p.packetId! });
      } else if (p.qos === 2) {
        // Method B of MQTT 4.3.3: deliver on the first PUBLISH of a packet id, until its PUBREL.
        if (!this.awaitingRelease.has(p.packetId!)) {
          this.awaitingRelease.add(p.packetId!);
          this.record(p.payload.toString(), 2);
        }
        this.send({ type: 'pubrec', packetId: p.packetId! });
      }
    } else if (p.type === 'pubrel') {
      this.awaitingRelease.delete(p.packetId);
      this.send({ type: 'pubcomp', packetId: p.packetId });
    }
  }

  private record(payload: string, qos: number): void {
    const [pub, seq] = payload.split(':').map(Number) as [number, number];
    this.lastReceivedAt = Date.now();
    const seen = this.seen[pub]!;
    if (seen[seq] === 1) {
      if (qos === 2) this.qos2Duplicates++;
      else this.qos1Duplicates++;
      return;
    }
    seen[seq] = 1;
    this.received++;
    if (seq !== this.lastNew[pub]! + 1) this.outOfOrder++;
    this.lastNew[pub] = Math.max(seq, this.lastNew[pub]!);
  }

  /** Per publisher, how many of its messages never arrived. */
  missing(): number[] {
    return this.seen.map((s) => s.length - s.reduce((a, b) => a + b, 0));
  }
}
