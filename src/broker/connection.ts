import type { Duplex } from 'node:stream';
import { Decoder, DecoderRules, type PacketSink } from '../protocol/decoder.js';
import { ACK_FIRST_BYTE, encode, encodePublishHeader } from '../protocol/encoder.js';
import { ProtocolError } from '../protocol/errors.js';
import { ConnackReturnCode, ReasonCode, reasonName } from '../protocol/reason-codes.js';
import {
  type AckPacket,
  type Packet,
  PacketType,
  type Properties,
  type ProtocolVersion,
  type PublishPacket,
  type QoS,
  type Will,
} from '../protocol/types.js';
import type { Broker } from './broker.js';
import { type InboundWindow, RareState, type TopicAliases } from './connection-rare.js';
import { Fifo } from './fifo.js';
import type { FlowSource } from './flow-control.js';
import { checkTopicCharacters } from './handlers/control-characters.js';
import { dispatch, dispatchAck } from './handlers/index.js';
import { handlePublish } from './handlers/publish.js';
import type { Message } from './message.js';
import { logReceived, logSent, logSentPublish } from './packet-log.js';
import type { Outgoing, Session, SessionOutlet } from './session.js';
import {
  ackEntry,
  encodeSharedHeader,
  entryBytes,
  entryLength,
  releaseStaged,
  type WriteEntry,
  writeBatch,
} from './write-batch.js';

/** What a 5.0 client said in CONNECT it accepts. */
export interface ClientLimits {
  readonly receiveMaximum: number;
  /** 0: no limit beyond the protocol's. */
  readonly maximumPacketSize: number;
  readonly topicAliasMaximum: number;
}

/** The limits of a client that sets none (every 3.1.1 one). */
export const NO_CLIENT_LIMITS: ClientLimits = Object.freeze({
  receiveMaximum: 65535,
  maximumPacketSize: 0,
  topicAliasMaximum: 0,
});

/** What a listener tells every connection it accepts: one object per listener, shared. */
export interface Peer {
  /** The broker of the listener: each connection reaches it through its peer, not a field of its own. */
  readonly broker: Broker;
  /** Port of the listener, for logs. */
  listenerPort: number;
  /** Topic prefix of the listener (mount_point). */
  readonly mountPoint?: string;
  readonly listenerIndex: number;
}

/** The other end of a connection. */
export interface Remote {
  readonly address: string;
  readonly port: number;
  /** Username taken from the TLS client certificate (use_identity_as_username). */
  readonly certificateUsername?: string;
}

/** The remote end of a TCP, TLS or unix socket: a getpeername() call, made only when asked. */
export function remoteOf(socket: { remoteAddress?: string; remotePort?: number }): Remote {
  return { address: socket.remoteAddress?.replace(/^::ffff:/, '') ?? 'unix', port: socket.remotePort ?? 0 };
}

/** A net.Socket's own counts, which a WebSocket's stream does not have. */
type SocketCounters = Duplex & { bytesRead?: number; bytesWritten?: number };

/** A net.Socket keeps the answer of its first getpeername() in `_peername`, for as long as it lives. */
type PeerCaching = Duplex & { remoteAddress?: string; remotePort?: number; _peername?: object };

/** Connection.stateBits: where the protocol level and the keep alive sit above the State. */
const VERSION_SHIFT = 2;
const VERSION_BITS = 7 << VERSION_SHIFT;
const KEEPALIVE_SHIFT = 5;
const BELOW_KEEPALIVE = (1 << KEEPALIVE_SHIFT) - 1;

export const State = {
  AwaitingConnect: 0,
  Authenticating: 1,
  Connected: 2,
  Closed: 3,
} as const;
export type State = (typeof State)[keyof typeof State];

/**
 * The connection a socket belongs to. Every socket shares the same three listener functions,
 * which find their connection here: closures made per connection (three listeners and the
 * decoder's callback) cost about 260 bytes each connection.
 */
const owner = Symbol('connection');
type OwnedSocket = Duplex & { [owner]: Connection };

function onSocketData(this: OwnedSocket, chunk: Buffer): void {
  this[owner].onData(chunk);
}

function onSocketError(this: OwnedSocket): void {
  this[owner].close('socket error');
}

function onSocketClose(this: OwnedSocket): void {
  this[owner].onClosed();
}

/**
 * PUBLISH bytes a paused connection may have parked before the broker stops reading its socket.
 * A client that keeps to its inflight window (20 in mosquitto_pub and paho, the Receive Maximum
 * mqx advertises in 5.0) never gets near it; only one that ignores every window does.
 */
const PARK_READ_LIMIT = 1024 * 1024;
/**
 * Parked bytes at which a connection whose own session is congested (it publishes faster than it
 * reads) releases that session from flow control: stopping its reads would stop its acknowledgements,
 * and so the draining it waits for.
 */
const PARK_SELF_LIMIT = 8 * 1024 * 1024;

/** What a parked PUBLISH counts for against the limits above: its payload, topic and bookkeeping. */
const parkedSize = (p: PublishPacket) => p.payload.length + p.topic.length + 64;

/** Bytes queued in one turn at which a connection writes them without waiting for the turn's end. */
const EARLY_FLUSH_BYTES = 64 * 1024;

/** An acknowledgement's name by packet type: for the packet a plain one becomes when it needs one. */
const ACK_TYPES: Record<number, AckPacket['type']> = {
  [PacketType.PUBACK]: 'puback',
  [PacketType.PUBREC]: 'pubrec',
  [PacketType.PUBREL]: 'pubrel',
  [PacketType.PUBCOMP]: 'pubcomp',
};

/**
 * A turn of this many writes or fewer (a CONNACK, a PINGRESP, a message or so) does not keep its
 * array, so an idle connection holds none: it goes back to a few spares that the next turn's
 * writers take, instead of one new array per connection and turn; one a busy turn grew large goes
 * to the collector.
 */
const QUIET_TURN = 4;
const spareOuts: WriteEntry[][] = [];
const SPARE_OUTS = 64;
const SPARE_LENGTH = 64;

/** Writes queued by connections during this event-loop turn; flushed together in setImmediate. */
const pendingFlush: Connection[] = [];
let flushScheduled = false;

function flushAll(): void {
  flushScheduled = false;
  for (let i = 0; i < pendingFlush.length; i++) {
    const conn = pendingFlush[i]!;
    // Nothing may reach a socket before the store has committed what it acknowledges.
    conn.broker.store.commit();
    conn.flush();
  }
  pendingFlush.length = 0;
  // Nothing queued is left anywhere: every connection with writes this turn was in the list.
  releaseStaged();
}

/**
 * Bytes a slow reader may have waiting in its socket before QoS 0 messages to it are dropped:
 * max_queued_bytes when set, none when max_queued_messages is 0 (the user asked for no maximum,
 * as in mosquitto), else 8 MiB, so one stalled subscriber cannot exhaust the broker's memory.
 */
export function qos0BacklogLimit(maxQueuedBytes: number, maxQueuedMessages: number): number {
  if (maxQueuedBytes > 0) return maxQueuedBytes;
  return maxQueuedMessages === 0 ? Number.POSITIVE_INFINITY : 8 * 1024 * 1024;
}

/** What the decoder of every client connection checks: one object, made by the broker, for all of them. */
export function clientDecoderRules(maxPacketSize: number): DecoderRules {
  return new DecoderRules({
    maxPacketSize,
    sender: 'client',
    // Control characters are refused as the name is decoded, once per new name (handlers/control-characters.ts).
    checkTopic: checkTopicCharacters,
  });
}

/**
 * Tenths of a second since the process started, for keep alive: a small integer, where epoch
 * milliseconds would cost every connection a heap number. Monotonic, so a clock step never
 * times a client out.
 */
export function tenths(): number {
  return Math.floor(performance.now() / 100);
}

/**
 * One client connection. Decodes what arrives, hands each packet to its handler, and batches
 * everything it sends so a socket sees one write per event-loop turn, not one per packet.
 */
export class Connection implements SessionOutlet, PacketSink, FlowSource {
  /**
   * The State in bits 0-1, the protocol level while there is no decoder in bits 2-4, the keep
   * alive (seconds) above: one small integer, not three fields.
   */
  private stateBits: number = State.AwaitingConnect | (4 << VERSION_SHIFT);
  /** For the admin API: when the socket was accepted (epoch seconds). */
  readonly openedAt = Math.floor(Date.now() / 1000);
  session: Session | undefined;
  /** Where it is in the broker's connections (connection-list.ts). */
  listPrev: Connection | undefined = undefined;
  listNext: Connection | undefined = undefined;
  /** When bytes last arrived, in tenths(). */
  lastReceived = tenths();

  /** Outbound QoS 1/2 publishes not yet acknowledged on this connection (Receive Maximum). */
  unacknowledged = 0;

  flowBlockers = 0;
  /** What most connections never need (connection-rare.ts): made by the first that is set. */
  private rare: RareState | undefined;

  /**
   * Made at the first bytes, and let go by the broker's sweep once the client has been silent for
   * a second between packets: an idle device needs none (64 bytes each).
   */
  private decoder: Decoder | undefined;
  /**
   * This turn's writes, entries [0, outCount). A busy connection keeps its array from turn to turn
   * (growing one anew each turn costs more garbage than its messages); a quiet one lets it go.
   */
  private out: WriteEntry[] | undefined;
  /** Entries queued this turn; over 0, the connection is in pendingFlush. */
  private outCount = 0;
  private outBytes = 0;

  constructor(
    readonly socket: Duplex,
    readonly peer: Peer,
    /**
     * Given by the listener where the socket cannot tell it (WebSocket) or it carries a
     * certificate's username (TLS); else read from the socket when asked.
     */
    remote?: Remote,
  ) {
    if (remote !== undefined) this.more.remoteEnd = remote;
    (socket as OwnedSocket)[owner] = this;
    socket.on('data', onSocketData);
    socket.on('error', onSocketError);
    socket.on('close', onSocketClose);
  }

  get broker(): Broker {
    return this.peer.broker;
  }

  get state(): State {
    return (this.stateBits & 3) as State;
  }
  set state(state: State) {
    this.stateBits = (this.stateBits & ~3) | state;
  }

  /** Keep alive in seconds, as the CONNECT asked or the broker's limit made it; 0 for none. */
  get keepalive(): number {
    return this.stateBits >>> KEEPALIVE_SHIFT;
  }
  set keepalive(seconds: number) {
    this.stateBits = (this.stateBits & BELOW_KEEPALIVE) | (seconds << KEEPALIVE_SHIFT);
  }

  /** Lets the decoder go if it holds nothing of a packet; the next bytes make a new one. */
  dropDecoder(): void {
    const decoder = this.decoder;
    if (decoder === undefined || !decoder.betweenPackets) return;
    this.stateBits = (this.stateBits & ~VERSION_BITS) | (decoder.protocolVersion << VERSION_SHIFT);
    this.decoder = undefined;
  }

  private newDecoder(): Decoder {
    const decoder = new Decoder(this, this.broker.decoderRules);
    decoder.protocolVersion = this.version;
    this.decoder = decoder;
    return decoder;
  }

  private get more(): RareState {
    this.rare ??= new RareState();
    return this.rare;
  }

  get remote(): Remote {
    const given = this.rare?.remoteEnd;
    if (given !== undefined) return given;
    const socket = this.socket as PeerCaching;
    const remote = remoteOf(socket);
    // Asked again when needed rather than kept on the socket by Node for its whole life: 88 bytes
    // each connection (the object and its address string) for a log line or two.
    if (socket._peername !== undefined && !socket.destroyed) socket._peername = undefined;
    return remote;
  }

  get certificateUsername(): string | undefined {
    return this.rare?.remoteEnd?.certificateUsername;
  }

  /** The username CONNECT gave (or the client certificate), which the session keeps. */
  get username(): string | undefined {
    return this.session?.username;
  }

  /**
   * For the admin API: bytes either way, as Node's socket counts them (TCP, TLS: MQTT's bytes).
   * A WebSocket's stream counts none, so its connection counts them in its RareState.
   */
  get bytesIn(): number {
    return (this.socket as SocketCounters).bytesRead ?? this.rare?.bytesIn ?? 0;
  }
  get bytesOut(): number {
    return (this.socket as SocketCounters).bytesWritten ?? this.rare?.bytesOut ?? 0;
  }

  /** A bridge announced itself (protocol level | 0x80, or a 5.0 bridge by its options). */
  get isBridge(): boolean {
    return this.rare?.isBridge === true;
  }
  set isBridge(bridge: boolean) {
    if (bridge || this.rare) this.more.isBridge = bridge;
  }

  get will(): Will | undefined {
    return this.rare?.will;
  }
  set will(will: Will | undefined) {
    if (will !== undefined || this.rare) this.more.will = will;
  }

  /** The client's limits (MQTT 5.0 CONNECT properties); shared while it sets none. */
  get limits(): ClientLimits {
    return this.rare?.limits ?? NO_CLIENT_LIMITS;
  }
  set limits(limits: ClientLimits) {
    if (limits !== NO_CLIENT_LIMITS || this.rare) this.more.limits = limits;
  }

  /** Close reason decided by the broker (takeover, keep alive): suppresses the generic log line. */
  get closeReason(): string | undefined {
    return this.rare?.closeReason;
  }
  set closeReason(reason: string | undefined) {
    if (reason !== undefined || this.rare) this.more.closeReason = reason;
  }

  /** Set by DISCONNECT: no will, and the log says "disconnected". */
  get disconnectedCleanly(): boolean {
    return this.rare?.disconnectedCleanly === true;
  }
  set disconnectedCleanly(clean: boolean) {
    if (clean || this.rare) this.more.disconnectedCleanly = clean;
  }

  /** Inbound QoS 2 packets not yet released, against our own Receive Maximum; made at the first. */
  get inboundWindow(): InboundWindow | undefined {
    return this.rare?.inboundWindow;
  }
  set inboundWindow(window: InboundWindow | undefined) {
    if (window !== undefined || this.rare) this.more.inboundWindow = window;
  }

  /** Topic aliases of this connection either way [MQTT-3.3.2-7]; undefined before the first. */
  get aliases(): TopicAliases | undefined {
    return this.rare?.aliases;
  }

  /** The session's, which keeps the same string: '' until CONNECT is accepted. */
  get clientId(): string {
    return this.session?.clientId ?? '';
  }

  get name(): string {
    if (this.clientId !== '') return this.clientId;
    const remote = this.remote;
    return `${remote.address}:${remote.port}`;
  }

  /** The protocol level CONNECT gave, which the decoder switched to: 4 until then. */
  get version(): ProtocolVersion {
    const decoder = this.decoder;
    if (decoder !== undefined) return decoder.protocolVersion;
    return ((this.stateBits & VERSION_BITS) >>> VERSION_SHIFT) as ProtocolVersion;
  }

  get sendQuota(): number {
    return this.limits.receiveMaximum - this.unacknowledged;
  }

  get topicAliases(): TopicAliases {
    const rare = this.more;
    rare.aliases ??= { in: new Map(), out: new Map() };
    return rare.aliases;
  }

  /** A DISCONNECT is flushing the parked PUBLISHes: route them whatever the congestion. */
  get flushingParked(): boolean {
    return this.rare?.parked?.flushing === true;
  }

  onData(chunk: Buffer): void {
    this.lastReceived = tenths();
    this.broker.stats.bytesReceived += chunk.length;
    if (this.rare !== undefined) this.rare.bytesIn += chunk.length;
    try {
      (this.decoder ?? this.newDecoder()).push(chunk);
    } catch (err) {
      if (err instanceof ProtocolError) this.protocolViolation(err);
      else throw err;
    }
  }

  onPacket(packet: Packet): void {
    if (this.state === State.Closed) return;
    if (this.state === State.Authenticating) {
      const rare = this.more;
      if (rare.held === undefined) rare.held = [packet];
      else rare.held.push(packet);
      return;
    }
    if (this.state === State.AwaitingConnect && packet.type !== 'connect') {
      throw new ProtocolError(
        `first packet was ${packet.type.toUpperCase()}, not CONNECT`,
        ReasonCode.ProtocolError,
        'MQTT-3.1.0-1',
      );
    }
    if (this.broker.log.packets) logReceived(this.broker.log, this.name, packet, this.aliases?.in);
    dispatch(this, packet);
  }

  /**
   * A plain acknowledgement, with no packet object (PacketSink.onAck); one the connection's state
   * or the packet log needs as a packet takes the common way.
   */
  onAck(type: number, packetId: number): void {
    if (this.state !== State.Connected || this.broker.log.packets) {
      this.onPacket({ type: ACK_TYPES[type]!, packetId });
      return;
    }
    dispatchAck(this, type, packetId);
  }

  /** Incoming PUBLISHes are parked: a session this connection feeds is congested. */
  get parking(): boolean {
    return this.rare?.parked !== undefined;
  }

  pauseFeeding(): void {
    this.more.parked ??= { packets: new Fifo(), bytes: 0, readsPaused: false, flushing: false };
  }

  resumeFeeding(): void {
    this.lastReceived = tenths();
    this.handleParked();
  }

  /** Holds a PUBLISH until the sessions it may go to have room; stops reading past a limit. */
  park(packet: PublishPacket): void {
    const parked = this.rare!.parked!;
    parked.packets.push(packet);
    parked.bytes += parkedSize(packet);
    if (parked.bytes <= PARK_READ_LIMIT || parked.readsPaused) return;
    const own = this.session;
    if (own === undefined || !this.broker.flow.isCongested(own)) {
      parked.readsPaused = true;
      this.socket.pause();
    } else if (parked.bytes > PARK_SELF_LIMIT) {
      this.broker.flow.release(own);
    }
  }

  /**
   * Handles parked PUBLISHes in order until one congests a session again or none is left. With
   * `force` (a DISCONNECT) all of them go, queued past full queues: the client said it is done.
   */
  handleParked(force = false): void {
    const parked = this.rare?.parked;
    if (parked === undefined) return;
    parked.flushing = force;
    try {
      while (this.state === State.Connected && (force || this.flowBlockers === 0)) {
        const packet = parked.packets.shift();
        if (packet === undefined) break;
        parked.bytes -= parkedSize(packet);
        handlePublish(this, packet);
      }
    } catch (err) {
      if (err instanceof ProtocolError) this.protocolViolation(err);
      else throw err;
    } finally {
      parked.flushing = false;
    }
    if (parked.readsPaused && parked.bytes <= PARK_READ_LIMIT && this.state !== State.Closed) {
      parked.readsPaused = false;
      this.socket.resume();
    }
    // A PUBLISH handled above may have let the flow go and parked anew: that record stays.
    if (parked.packets.length === 0 && this.flowBlockers === 0 && this.rare!.parked === parked)
      this.rare!.parked = undefined;
  }

  /** Handles the packets held back while CONNECT was authenticated. */
  releaseHeld(): void {
    const held = this.rare?.held;
    if (!held) return;
    this.rare!.held = undefined;
    try {
      for (const packet of held) this.onPacket(packet);
    } catch (err) {
      if (err instanceof ProtocolError) this.protocolViolation(err);
      else throw err;
    }
  }

  /** A malformed or forbidden packet: tell a 5.0 client why, then close only this connection. */
  protocolViolation(err: ProtocolError): void {
    this.broker.log.notice(`Protocol error from ${this.name}: ${err.message}; closing connection.`);
    this.broker.stats.protocolErrors++;
    if (this.state === State.AwaitingConnect && err.reasonCode === ReasonCode.UnsupportedProtocolVersion) {
      // The client speaks no version we know, so it gets the 3.1.1 form: return code 0x01 [MQTT-3.1.2-2].
      this.write(
        encode(
          {
            type: 'connack',
            sessionPresent: false,
            reasonCode: ConnackReturnCode.UnacceptableProtocolVersion,
          },
          4,
        ),
      );
    } else if (this.version === 5 && this.state === State.Connected) {
      this.send({
        type: 'disconnect',
        reasonCode: err.reasonCode,
        properties: this.reasonString(err.message),
      });
    }
    this.close(`protocol error: ${err.message}`);
  }

  /**
   * A Reason String for a CONNACK or DISCONNECT, which 5.0 allows whatever Request Problem
   * Information says [MQTT-3.1.2-29], unless it could push the packet over the client's Maximum
   * Packet Size [MQTT-3.2.2-19] [MQTT-3.14.2-3].
   */
  reasonString(why: string): Properties | undefined {
    const room = this.limits.maximumPacketSize;
    return room === 0 || room >= 64 + Buffer.byteLength(why) ? { reasonString: why } : undefined;
  }

  /** Sends a server DISCONNECT (5.0 only) with a reason code, then closes. */
  disconnectWith(reasonCode: number, why: string): void {
    if (this.state === State.Closed) return;
    if (this.version === 5 && this.state === State.Connected) {
      this.send({ type: 'disconnect', reasonCode, properties: this.reasonString(why) });
    }
    this.close(`${why} (${reasonName(reasonCode)})`);
  }

  send(packet: Packet): void {
    this.sendAt(this.outCount, packet);
  }

  /**
   * PUBACK, PUBREC, PUBREL or PUBCOMP with reason Success and no properties, at `position` of the
   * pending writes (see sendAt): the same bytes in every version, and no packet object or Buffer.
   */
  sendAck(type: AckPacket['type'], packetId: number, position = this.outCount): void {
    if (this.broker.log.packets && this.state !== State.Closed)
      logSent(this.broker.log, this.name, { type, packetId }, this.will);
    this.writeAt(position, ackEntry(ACK_FIRST_BYTE[type], packetId));
  }

  /** send(), ahead of what was queued since `position` (pendingWrites) was read, in this same turn. */
  sendAt(position: number, packet: Packet): void {
    if (this.broker.log.packets && this.state !== State.Closed)
      logSent(this.broker.log, this.name, packet, this.will);
    this.writeAt(position, encode(packet, this.version));
  }

  write(entry: WriteEntry): void {
    if (this.state === State.Closed) return;
    this.out ??= spareOuts.pop() ?? [];
    this.out[this.outCount++] = entry;
    this.outBytes += entryLength(entry);
    // A burst (a retained replay, a backlog let go, a turn that reads many publishers) starts
    // leaving while the rest is encoded, so the client reads while the broker works.
    if (this.outBytes >= EARLY_FLUSH_BYTES && this.mayFlushEarly()) {
      this.broker.store.commit();
      this.flush();
      return;
    }
    if (this.outCount === 1) {
      pendingFlush.push(this);
      if (!flushScheduled) {
        flushScheduled = true;
        setImmediate(flushAll);
      }
    }
  }

  /**
   * Whether write() may send before the turn ends. Not for the connection whose PUBLISH is being
   * handled: its acknowledgement must go ahead of the copies it makes for itself
   * (handlers/publish.ts, ackAt). And with a durable store, not in the
   * middle of any PUBLISH: a copy may leave only with its publisher's state (a QoS 2 packet id)
   * committed beside it, or a crash between the two would deliver it twice.
   */
  private mayFlushEarly(): boolean {
    const source = this.broker.source;
    if (source === undefined) return true;
    if (this.broker.store.durable) return false;
    return source === 'overflow' ? !this.flushingParked : source !== this;
  }

  /** Buffers waiting for this turn's write: a position for writeAt(). */
  get pendingWrites(): number {
    return this.outCount;
  }

  private writeAt(position: number, entry: WriteEntry): void {
    const out = this.out;
    if (out === undefined || position >= this.outCount || this.state === State.Closed) {
      this.write(entry);
      return;
    }
    for (let i = this.outCount; i > position; i--) out[i] = out[i - 1]!;
    out[position] = entry;
    this.outCount++;
    this.outBytes += entryLength(entry);
  }

  flush(): void {
    const out = this.out;
    const count = this.outCount;
    if (out === undefined) return;
    if (count > 0 && !this.socket.destroyed) {
      this.broker.stats.bytesSent += this.outBytes;
      if (this.rare !== undefined) this.rare.bytesOut += this.outBytes;
      writeBatch(this.socket, out, count, this.outBytes);
    }
    out.fill(undefined as unknown as WriteEntry, 0, count);
    if (count <= QUIET_TURN) {
      this.out = undefined;
      if (spareOuts.length < SPARE_OUTS && out.length <= SPARE_LENGTH) spareOuts.push(out);
    }
    this.outCount = 0;
    this.outBytes = 0;
  }

  /** Bytes written and not yet taken by the socket: this turn's, and what the socket holds. */
  get backlog(): number {
    return this.outBytes + this.socket.writableLength;
  }

  /** True when the client reads so slowly that its socket backlog is over the limit. */
  get congested(): boolean {
    return this.backlog > this.broker.qos0Backlog;
  }

  sendPublish(
    out: Outgoing | undefined,
    message: Message,
    qos: QoS,
    retain: boolean,
    subscriptionIds: number[] | undefined,
  ): boolean {
    if (this.state !== State.Connected) return false;
    // The clock matters only to a message that expires (its remaining interval, 5.0).
    const now = message.expiresAt === 0 ? 0 : Date.now();
    const mount = this.peer.mountPoint;
    let topic = message.topic;
    if (mount !== undefined) {
      if (!topic.startsWith(mount)) return false;
      topic = topic.slice(mount.length);
    }
    const logTopic = topic;
    let header: WriteEntry;
    /** A shared header: the packet id goes between it and `after`, as an entry of its own. */
    let idApart = false;
    let after: Buffer | undefined;
    const useAlias = this.limits.topicAliasMaximum > 0;
    /** A topic alias this packet introduces; it counts only once the packet is really sent. */
    let newAlias = 0;
    if (this.version < 5 || (subscriptionIds === undefined && !useAlias && mount === undefined)) {
      if (mount !== undefined) {
        const packet = this.publishPacket(message, topic, qos, retain, undefined);
        if (qos > 0) packet.packetId = out!.packetId;
        header = encodePublishHeader(packet, this.version).header;
      } else {
        const shared = message.header(
          this.version,
          qos,
          retain,
          now,
          this.broker.routing,
          encodeSharedHeader,
        );
        header = shared.header;
        after = shared.afterPacketId;
        idApart = qos > 0;
      }
    } else {
      let extra: Properties | undefined = subscriptionIds
        ? { subscriptionIdentifiers: subscriptionIds }
        : undefined;
      if (useAlias) {
        const aliases = this.topicAliases.out;
        const alias = aliases.get(topic);
        if (alias !== undefined) {
          extra = { ...extra, topicAlias: alias };
          topic = '';
        } else if (aliases.size < this.limits.topicAliasMaximum) {
          newAlias = aliases.size + 1;
          extra = { ...extra, topicAlias: newAlias };
        }
      }
      const packet = this.publishPacket(message, topic, qos, retain, message.propertiesAt(now, extra));
      if (qos > 0) packet.packetId = out!.packetId;
      header = encodePublishHeader(packet, this.version).header;
    }
    const dup = out?.sent === true;
    if (dup) {
      // A resend: the DUP flag goes on a copy of a shared header, on this delivery's own one as it is.
      const own = idApart || typeof header === 'number' ? entryBytes(header) : header;
      own[0]! |= 0x08;
      header = own;
    }
    const size = entryLength(header) + (idApart ? 2 : 0) + (after?.length ?? 0) + message.payload.length;
    const maximumPacketSize = this.limits.maximumPacketSize;
    if (maximumPacketSize > 0 && size > maximumPacketSize) {
      // The client would have to close on it; the message counts as delivered to this client [MQTT-3.1.2-25].
      this.broker.stats.dropped++;
      this.broker.stats.droppedBy.tooLarge++;
      const hooks = this.broker.hooks;
      if (hooks.on.messageDropped !== undefined && this.session)
        hooks.emit('messageDropped', this.session, message, 'too-large');
      return false;
    }
    if (newAlias > 0) this.topicAliases.out.set(topic, newAlias);
    if (qos > 0) {
      out!.sent = true;
      this.unacknowledged++;
    }
    if (this.broker.log.packets) {
      const packetId = qos > 0 ? out!.packetId : undefined;
      logSentPublish(this.broker.log, this.name, {
        dup,
        qos,
        retain,
        packetId,
        topic: logTopic,
        bytes: message.payload.length,
      });
    }
    this.write(header);
    if (idApart) {
      this.write(out!.packetId);
      if (after !== undefined) this.write(after);
    }
    if (message.payload.length > 0) this.write(message.payload);
    this.broker.stats.publishSent++;
    this.broker.stats.publishSentByQos[qos]!++;
    this.broker.stats.publishBytesSent += message.payload.length;
    return true;
  }

  sendPubrel(packetId: number): void {
    this.sendAck('pubrel', packetId);
  }

  private publishPacket(
    message: Message,
    topic: string,
    qos: QoS,
    retain: boolean,
    properties: Properties | undefined,
  ): PublishPacket {
    return {
      type: 'publish',
      topic,
      payload: message.payload,
      qos,
      retain,
      dup: false,
      packetId: qos > 0 ? 1 : undefined,
      properties,
    };
  }

  /** Closes the socket after what is queued has been written. Idempotent. */
  close(reason: string): void {
    if (this.state === State.Closed) return;
    this.closeReason ??= reason;
    this.broker.store.commit();
    this.flush();
    this.state = State.Closed;
    if (this.flowBlockers > 0) this.broker.flow.forget(this);
    this.socket.end();
    // A peer that never reads must not keep the socket (and its buffers) alive.
    setTimeout(() => this.socket.destroy(), 2_000).unref();
    this.broker.connectionClosed(this);
  }

  /** The socket closed, whoever closed it. */
  onClosed(): void {
    if (this.flowBlockers > 0) this.broker.flow.forget(this);
    if (this.state !== State.Closed) {
      this.state = State.Closed;
      this.closeReason ??= 'closed by peer';
      this.broker.connectionClosed(this);
    }
  }
}
