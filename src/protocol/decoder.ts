import { ProtocolError } from './errors.js';
import { decodeProperties, WILL } from './properties.js';
import { Reader } from './reader.js';
import { ReasonCode } from './reason-codes.js';
import type {
  AckPacket,
  AuthPacket,
  ConnackPacket,
  ConnectPacket,
  DisconnectPacket,
  Packet,
  ProtocolVersion,
  PublishPacket,
  QoS,
  SubackPacket,
  SubscribePacket,
  SubscriptionRequest,
  UnsubackPacket,
  UnsubscribePacket,
  Will,
} from './types.js';
import { PacketType } from './types.js';

/*
 * Normative statements are cited by their MQTT 5.0 number when the stream is 5.0 and by their
 * 3.1.1 number otherwise, where the two differ; UTF-8 rules use the 5.0 numbers (3.1.1 has the
 * same statements as MQTT-1.5.3-x).
 */

/** Where a decoder hands each packet: an object with a method, so a connection needs no closure. */
export interface PacketSink {
  onPacket(packet: Packet): void;
  /**
   * A PUBACK, PUBREC, PUBREL or PUBCOMP with nothing after its packet id (every 3.1.1 one, and a
   * 5.0 Success in its short form), by packet type and id, to a sink that takes it without a
   * packet object: an object for each was about 30% of what a broker allocated per QoS 1 delivery
   * of a fan-out (benchmarks/allocations.ts).
   */
  onAck?(type: number, packetId: number): void;
}

export interface DecoderOptions {
  /** Protocol of the stream until a CONNECT says otherwise; 4 (3.1.1) by default. */
  protocolVersion?: ProtocolVersion;
  /** Largest whole packet accepted, header included; 0 for no limit beyond the protocol's. */
  maxPacketSize?: number;
  /**
   * Which side writes the stream: 'client' for a broker's decoder, 'server' for a client's. A
   * packet type only the other side may send is then a Protocol Error, decided from the first
   * byte before any body is read (MQTT 5.0 2.1.2). Unset, every type is read (tools, tests).
   */
  sender?: 'client' | 'server';
  /**
   * The receiver's own rule for PUBLISH topic names (a broker refuses control characters), called
   * once for each name that differs from the one before; it throws a ProtocolError to refuse it.
   */
  checkTopic?: (topic: string) => void;
}

/** Packet types (bit per type) that only a client sends, and those only a server sends (2.1.2). */
const CLIENT_ONLY =
  (1 << PacketType.CONNECT) |
  (1 << PacketType.SUBSCRIBE) |
  (1 << PacketType.UNSUBSCRIBE) |
  (1 << PacketType.PINGREQ);
const SERVER_ONLY =
  (1 << PacketType.CONNACK) |
  (1 << PacketType.SUBACK) |
  (1 << PacketType.UNSUBACK) |
  (1 << PacketType.PINGRESP);

const LENGTH_MULTIPLIERS = [1, 128, 16_384, 2_097_152];

function malformed(message: string, statement?: string): ProtocolError {
  return new ProtocolError(message, ReasonCode.MalformedPacket, statement);
}

function lengthTooLong(): ProtocolError {
  return malformed('remaining length longer than 4 bytes (MQTT 5.0 1.5.5, 3.1.1 2.2.3)');
}

function protocolError(message: string, statement?: string): ProtocolError {
  return new ProtocolError(message, ReasonCode.ProtocolError, statement);
}

/** Bodies up to this size get their buffer at once; larger ones grow with what arrives. */
const PREALLOCATE_LIMIT = 1024 * 1024;

/**
 * One reader for every decoder: a body is decoded synchronously, before its packet is handed on,
 * so no two decoders ever use it at once, and a connection needs no reader of its own.
 */
const reader = new Reader();
const NO_BYTES = Buffer.alloc(0);

/**
 * What a decoder enforces besides the protocol, made once and shared by every decoder of one
 * kind: a broker's thousands of connections need one, not a copy each.
 */
export class DecoderRules {
  /** Largest whole packet accepted, header included; 0 for no limit beyond the protocol's. */
  readonly maxPacketSize: number;
  /** Bit per packet type the sender may not send; 0 when the direction is not known. */
  readonly forbidden: number;
  readonly checkTopic: ((topic: string) => void) | undefined;

  constructor(options: Omit<DecoderOptions, 'protocolVersion'> = {}) {
    this.maxPacketSize = options.maxPacketSize ?? 0;
    this.forbidden =
      options.sender === 'client' ? SERVER_ONLY : options.sender === 'server' ? CLIENT_ONLY : 0;
    this.checkTopic = options.checkTopic;
  }
}

/** A packet whose bytes straddle chunks: what of it has arrived. */
interface Pending {
  /** Its first byte. */
  first: number;
  /** Remaining-length bytes read so far, and their value: whole once a body is being filled. */
  lengthBytes: number;
  remainingLength: number;
  /** Body (of exactly its size), and how much of it has arrived; null, as `parts`, while the header is cut short. */
  body: Buffer | null;
  filled: number;
  /**
   * A large body is kept as the slices that arrived, joined once complete, so a header that
   * claims 256 MB costs nothing until the bytes really come.
   */
  parts: Buffer[] | null;
}

/** What ended a stream; a class of its own, so one field of the decoder holds it or the pending packet. */
class Failure {
  constructor(readonly error: unknown) {}
}

/**
 * Streaming MQTT decoder. Bytes go in through `push` in chunks of any size; each complete packet
 * comes out through the sink's `onPacket`, synchronously and in order. Between packets it holds
 * nothing but the protocol version and the last topic: the fixed header is read into locals, and
 * only a packet that straddles chunks gets a record of its own (see Pending), with one buffer of
 * exactly its body's size. A body that lies inside one chunk is decoded in place, its PUBLISH
 * payload a view of the chunk.
 *
 * The first malformation throws a ProtocolError carrying the reason code to report; packets
 * before it have been delivered. From then on the stream cannot be resynchronised, so every
 * later push throws the same error. An exception thrown by `onPacket` propagates the same way and
 * also ends the stream, since the rest of its chunk is lost.
 */
export class Decoder {
  protocolVersion: ProtocolVersion;

  private readonly sink: PacketSink;
  private readonly rules: DecoderRules;
  /** The packet cut short at the end of the last chunk; after a failure, that failure, for good. */
  private pending: Pending | Failure | null = null;
  /**
   * The topic of the last PUBLISH, given again (the same string) while the next ones repeat its
   * bytes: publishers mostly do, so a name is checked once (wildcards, checkTopic), and a string
   * already hashed makes every map lookup after cheaper.
   */
  private lastTopic = '';

  /** With DecoderRules (shared), the stream starts as 3.1.1 until a CONNECT says otherwise. */
  constructor(sink: PacketSink | ((packet: Packet) => void), options: DecoderOptions | DecoderRules = {}) {
    this.sink = typeof sink === 'function' ? { onPacket: sink } : sink;
    if (options instanceof DecoderRules) {
      this.rules = options;
      this.protocolVersion = 4;
    } else {
      this.rules = new DecoderRules(options);
      this.protocolVersion = options.protocolVersion ?? 4;
    }
  }

  /**
   * Between packets: nothing of one held and no failure. A decoder here can be let go, and a new
   * one given its protocolVersion goes on with the stream.
   */
  get betweenPackets(): boolean {
    return this.pending === null;
  }

  /** Bytes allocated for an incomplete packet: at most the maximum packet size, when one is set. */
  get bufferedBytes(): number {
    const pending = this.pending;
    if (pending === null || pending instanceof Failure) return 0;
    if (pending.parts !== null) return pending.filled;
    return pending.body === null ? 0 : pending.body.length;
  }

  push(chunk: Buffer): void {
    if (this.pending instanceof Failure) throw this.pending.error;
    try {
      this.consume(chunk);
    } catch (error) {
      this.pending = new Failure(error);
      throw error;
    }
  }

  private consume(chunk: Buffer): void {
    const length = chunk.length;
    let offset = this.pending === null ? 0 : this.resume(chunk);
    while (offset < length) {
      const first = chunk[offset]!;
      this.checkFirstByte(first);
      offset = this.readPacket(chunk, offset + 1, first, 0, 0);
    }
  }

  /**
   * Reads the remaining length of a packet from `offset` on (`lengthBytes` of it, worth
   * `remaining`, came before), then its body: decoded in place if the chunk holds it all, else kept
   * as pending. Returns where the next packet starts: the chunk's end once this one is pending.
   */
  private readPacket(
    chunk: Buffer,
    offset: number,
    first: number,
    lengthBytes: number,
    remaining: number,
  ): number {
    const length = chunk.length;
    let headerDone = false;
    while (offset < length) {
      const byte = chunk[offset++]!;
      remaining += (byte & 0x7f) * LENGTH_MULTIPLIERS[lengthBytes]!;
      lengthBytes++;
      if (byte < 0x80) {
        headerDone = true;
        break;
      }
      if (lengthBytes === 4) throw lengthTooLong();
    }
    if (headerDone) {
      this.checkSize(lengthBytes, remaining);
      if (length - offset >= remaining) {
        this.deliver(first, chunk, offset, offset + remaining);
        return offset + remaining;
      }
    }
    const pending: Pending = {
      first,
      lengthBytes,
      remainingLength: remaining,
      body: null,
      filled: 0,
      parts: null,
    };
    if (headerDone) {
      // The body has started (perhaps with none of its bytes yet) and goes past this chunk.
      pending.filled = length - offset;
      if (remaining > PREALLOCATE_LIMIT) pending.parts = [chunk.subarray(offset)];
      else {
        pending.body = Buffer.allocUnsafe(remaining);
        chunk.copy(pending.body, 0, offset);
      }
    }
    this.pending = pending;
    return length;
  }

  /** Goes on with the packet a chunk before cut short; returns the offset after its last byte. */
  private resume(chunk: Buffer): number {
    const pending = this.pending as Pending;
    const length = chunk.length;
    if (pending.body === null && pending.parts === null) {
      this.pending = null;
      return this.readPacket(chunk, 0, pending.first, pending.lengthBytes, pending.remainingLength);
    }
    const want = pending.remainingLength - pending.filled;
    const n = Math.min(want, length);
    if (pending.parts !== null) pending.parts.push(chunk.subarray(0, n));
    else chunk.copy(pending.body!, pending.filled, 0, n);
    pending.filled += n;
    if (n < want) return length;
    this.pending = null;
    const body =
      pending.parts !== null ? Buffer.concat(pending.parts, pending.remainingLength) : pending.body!;
    this.deliver(pending.first, body, 0, body.length);
    return n;
  }

  private checkSize(lengthBytes: number, remaining: number): void {
    const max = this.rules.maxPacketSize;
    const total = 1 + lengthBytes + remaining;
    if (max > 0 && total > max) {
      throw new ProtocolError(
        `packet of ${total} bytes exceeds the maximum packet size ${max} (MQTT 5.0 3.1.2.11.4, 3.2.2.3.6)`,
        ReasonCode.PacketTooLarge,
      );
    }
  }

  /** Rejects what the first byte alone shows to be malformed, before any body is buffered. */
  private checkFirstByte(byte: number): void {
    const type = byte >> 4;
    let flags = byte & 0x0f;
    const v5 = this.protocolVersion === 5;
    const forbidden = this.rules.forbidden;
    if ((forbidden & (1 << type)) !== 0) {
      throw protocolError(
        `packet type ${type} may not be sent by a ${forbidden === SERVER_ONLY ? 'client' : 'server'} (MQTT 5.0 2.1.2, 3.1.1 2.2.1)`,
        v5 ? 'MQTT-4.13.1-1' : 'MQTT-4.8.0-1',
      );
    }
    switch (type) {
      case 0:
        throw malformed('packet type 0 is reserved');
      case PacketType.CONNECT:
        // Its flags are checked with its body: MQTT 3.1, named there, did not reserve them.
        return;
      case PacketType.PUBLISH:
        if ((flags & 0x06) === 0x06) throw malformed('PUBLISH with QoS 3', 'MQTT-3.3.1-4');
        if (flags & 0x08 && (flags & 0x06) === 0 && this.protocolVersion !== 3) {
          throw malformed('QoS 0 PUBLISH with DUP set', 'MQTT-3.3.1-2');
        }
        return;
      case PacketType.PUBREL:
      case PacketType.SUBSCRIBE:
      case PacketType.UNSUBSCRIBE:
        // MQTT 3.1 still set DUP on resent PUBREL / SUBSCRIBE / UNSUBSCRIBE.
        if (this.protocolVersion === 3) flags &= 0x07;
        if (flags !== 0x02) {
          const statement =
            type === PacketType.PUBREL
              ? 'MQTT-3.6.1-1'
              : type === PacketType.SUBSCRIBE
                ? 'MQTT-3.8.1-1'
                : 'MQTT-3.10.1-1';
          throw malformed(`reserved flags of packet type ${type} must be 0b0010`, statement);
        }
        return;
      case PacketType.AUTH:
        if (!v5) throw malformed('AUTH exists only in MQTT 5.0');
        break;
    }
    if (flags !== 0) {
      throw malformed(
        `reserved flags of packet type ${type} must be 0`,
        v5 ? 'MQTT-2.1.3-1' : 'MQTT-2.2.2-2',
      );
    }
  }

  /** Decodes the body `buf[start, end)` of the current packet and hands the packet on. */
  private deliver(first: number, buf: Buffer, start: number, end: number): void {
    const type = first >> 4;
    if (end - start === 2 && type >= PacketType.PUBACK && type <= PacketType.PUBCOMP) {
      const sink = this.sink;
      if (sink.onAck !== undefined) {
        sink.onAck(type, nonZeroPacketId(buf[start]! * 256 + buf[start + 1]!, this.protocolVersion === 5));
        return;
      }
    }
    reader.reset(buf, start, end);
    let packet: Packet;
    try {
      packet = this.decodeBody(first, reader);
      if (reader.pos !== end) throw malformed('packet is longer than its fields');
    } finally {
      // The reader must not keep the chunk alive: an idle connection would hold its last one.
      reader.reset(NO_BYTES, 0, 0);
    }
    this.sink.onPacket(packet);
  }

  private decodeBody(first: number, r: Reader): Packet {
    const v5 = this.protocolVersion === 5;
    switch (first >> 4) {
      case PacketType.CONNECT: {
        const packet = decodeConnect(first, r);
        this.protocolVersion = packet.protocolVersion;
        return packet;
      }
      case PacketType.CONNACK:
        return decodeConnack(r, v5);
      case PacketType.PUBLISH: {
        const packet = decodePublish(first, r, v5, this.lastTopic);
        if (packet.topic !== this.lastTopic) {
          this.rules.checkTopic?.(packet.topic);
          this.lastTopic = packet.topic;
        }
        return packet;
      }
      case PacketType.PUBACK:
        return decodeAck('puback', PacketType.PUBACK, r, v5);
      case PacketType.PUBREC:
        return decodeAck('pubrec', PacketType.PUBREC, r, v5);
      case PacketType.PUBREL:
        return decodeAck('pubrel', PacketType.PUBREL, r, v5);
      case PacketType.PUBCOMP:
        return decodeAck('pubcomp', PacketType.PUBCOMP, r, v5);
      case PacketType.SUBSCRIBE:
        return decodeSubscribe(r, v5);
      case PacketType.SUBACK:
        return decodeSuback(r, v5);
      case PacketType.UNSUBSCRIBE:
        return decodeUnsubscribe(r, v5);
      case PacketType.UNSUBACK:
        return decodeUnsuback(r, v5);
      case PacketType.PINGREQ:
        return { type: 'pingreq' };
      case PacketType.PINGRESP:
        return { type: 'pingresp' };
      case PacketType.DISCONNECT:
        return decodeDisconnectOrAuth('disconnect', PacketType.DISCONNECT, r, v5);
      default:
        return decodeDisconnectOrAuth('auth', PacketType.AUTH, r, v5);
    }
  }
}

function readPacketId(r: Reader, v5: boolean): number {
  return nonZeroPacketId(r.u16(), v5);
}

function nonZeroPacketId(id: number, v5: boolean): number {
  if (id === 0) throw malformed('packet identifier 0', v5 ? 'MQTT-2.2.1-3' : 'MQTT-2.3.1-1');
  return id;
}

/** A Topic Name (PUBLISH, will topic): no wildcards [MQTT-3.3.2-2]. */
function checkTopicName(topic: string): void {
  if (topic.includes('+') || topic.includes('#')) {
    // 0x90 Topic Name Invalid is for a correctly formed name the receiver does not accept; a
    // wildcard makes the name not correctly formed, so the packet is malformed.
    throw malformed(`topic name ${JSON.stringify(topic)} contains a wildcard`, 'MQTT-3.3.2-2');
  }
}

function decodeConnect(first: number, r: Reader): ConnectPacket {
  const protocolName = r.utf8();
  const levelByte = r.u8();
  const level = levelByte & 0x7f;
  if (level !== 3 && level !== 4 && level !== 5) {
    throw new ProtocolError(
      `unsupported protocol level ${level}`,
      ReasonCode.UnsupportedProtocolVersion,
      'MQTT-3.1.2-2',
    );
  }
  const expectedName = level === 3 ? 'MQIsdp' : 'MQTT';
  if (protocolName !== expectedName) {
    throw new ProtocolError(
      `protocol name ${JSON.stringify(protocolName)} does not match level ${level}`,
      ReasonCode.UnsupportedProtocolVersion,
      'MQTT-3.1.2-1',
    );
  }
  const v5 = level === 5;
  const flags = r.u8();
  // MQTT 3.1 reserved neither the fixed-header flags nor connect flag bit 0; mosquitto ignores both.
  if (level !== 3) {
    if ((first & 0x0f) !== 0) {
      throw malformed('reserved flags of packet type 1 must be 0', v5 ? 'MQTT-2.1.3-1' : 'MQTT-2.2.2-2');
    }
    if ((flags & 0x01) !== 0) throw malformed('reserved CONNECT flag is set', 'MQTT-3.1.2-3');
  }
  const hasWill = (flags & 0x04) !== 0;
  const willQos = (flags >> 3) & 0x03;
  const willRetain = (flags & 0x20) !== 0;
  if (!hasWill) {
    if (willQos !== 0)
      throw malformed('will QoS set without will flag', v5 ? 'MQTT-3.1.2-11' : 'MQTT-3.1.2-13');
    if (willRetain)
      throw malformed('will retain set without will flag', v5 ? 'MQTT-3.1.2-13' : 'MQTT-3.1.2-15');
  } else if (willQos === 3) {
    throw malformed('will QoS 3', v5 ? 'MQTT-3.1.2-12' : 'MQTT-3.1.2-14');
  }
  const hasUsername = (flags & 0x80) !== 0;
  const hasPassword = (flags & 0x40) !== 0;
  if (hasPassword && !hasUsername && !v5) {
    throw malformed('password flag set without user name flag', 'MQTT-3.1.2-22');
  }
  const packet: ConnectPacket = {
    type: 'connect',
    protocolName,
    protocolVersion: level,
    bridge: (levelByte & 0x80) !== 0,
    clean: (flags & 0x02) !== 0,
    keepalive: r.u16(),
    clientId: '',
  };
  const properties = v5 ? decodeProperties(r, PacketType.CONNECT) : undefined;
  if (properties !== undefined) packet.properties = properties;
  packet.clientId = r.utf8();
  if (hasWill) {
    const willProperties = v5 ? decodeProperties(r, WILL) : undefined;
    const topic = r.utf8();
    if (topic.length === 0) throw malformed('empty will topic', 'MQTT-4.7.3-1');
    checkTopicName(topic);
    const will: Will = { topic, payload: r.binary(), qos: willQos as QoS, retain: willRetain };
    if (willProperties !== undefined) will.properties = willProperties;
    packet.will = will;
  }
  if (hasUsername) packet.username = r.utf8();
  if (hasPassword) packet.password = r.binary();
  return packet;
}

function decodeConnack(r: Reader, v5: boolean): ConnackPacket {
  const flags = r.u8();
  if ((flags & 0xfe) !== 0) throw malformed('reserved CONNACK acknowledge flags are set (MQTT 5.0 3.2.2.1)');
  const packet: ConnackPacket = { type: 'connack', sessionPresent: flags === 1, reasonCode: r.u8() };
  // A 3.1.1-only server answers a 5.0 CONNECT with a two-byte CONNACK (return code 0x01); read it
  // rather than call it malformed, so the client can report the version mismatch.
  if (v5 && r.remaining > 0) {
    const properties = decodeProperties(r, PacketType.CONNACK);
    if (properties !== undefined) packet.properties = properties;
  }
  return packet;
}

function decodePublish(first: number, r: Reader, v5: boolean, lastTopic: string): PublishPacket {
  const qos = ((first >> 1) & 0x03) as QoS;
  const topic = r.utf8Like(lastTopic);
  const packetId = qos > 0 ? readPacketId(r, v5) : 0;
  const properties = v5 ? decodeProperties(r, PacketType.PUBLISH) : undefined;
  if (topic.length === 0) {
    if (!v5) throw malformed('empty topic name', 'MQTT-4.7.3-1');
    if (properties?.topicAlias === undefined) {
      throw protocolError('empty topic name without a topic alias (MQTT 5.0 3.3.2.3.4)');
    }
  } else if (topic !== lastTopic) {
    checkTopicName(topic);
  }
  // One shape for every PUBLISH: a key added after the literal would cost each packet a
  // property array of its own, and the handlers that read it a polymorphic access.
  return {
    type: 'publish',
    topic,
    payload: r.rest(),
    qos,
    retain: (first & 0x01) !== 0,
    dup: (first & 0x08) !== 0,
    packetId: qos > 0 ? packetId : undefined,
    properties,
  };
}

function decodeAck(type: AckPacket['type'], packetType: number, r: Reader, v5: boolean): AckPacket {
  const packet: AckPacket = { type, packetId: readPacketId(r, v5) };
  // 5.0: the reason code may be left out when it is 0 with no properties, and the property
  // length when the remaining length is under 4 (MQTT 5.0 3.4.2.1, 3.4.2.2.1).
  if (v5 && r.remaining > 0) {
    packet.reasonCode = r.u8();
    if (r.remaining > 0) {
      const properties = decodeProperties(r, packetType);
      if (properties !== undefined) packet.properties = properties;
    }
  }
  return packet;
}

function decodeSubscribe(r: Reader, v5: boolean): SubscribePacket {
  const packet: SubscribePacket = { type: 'subscribe', packetId: readPacketId(r, v5), subscriptions: [] };
  if (v5) {
    const properties = decodeProperties(r, PacketType.SUBSCRIBE);
    if (properties !== undefined) packet.properties = properties;
  }
  while (r.remaining > 0) {
    const topicFilter = r.utf8();
    if (topicFilter.length === 0) throw malformed('empty topic filter', 'MQTT-4.7.3-1');
    const options = r.u8();
    const qos = options & 0x03;
    if (v5) {
      if ((options & 0xc0) !== 0) throw malformed('reserved subscription option bits set', 'MQTT-3.8.3-5');
      if (qos === 3) throw protocolError('subscription with maximum QoS 3 (MQTT 5.0 3.8.3.1)');
      const retainHandling = (options >> 4) & 0x03;
      if (retainHandling === 3) throw protocolError('retain handling 3 (MQTT 5.0 3.8.3.1)');
      const noLocal = (options & 0x04) !== 0;
      if (noLocal && topicFilter.startsWith('$share/')) {
        throw protocolError('no local on a shared subscription', 'MQTT-3.8.3-4');
      }
      packet.subscriptions.push({
        topicFilter,
        qos: qos as QoS,
        noLocal,
        retainAsPublished: (options & 0x08) !== 0,
        retainHandling: retainHandling as SubscriptionRequest['retainHandling'],
      });
    } else {
      if ((options & 0xfc) !== 0) throw malformed('reserved subscription option bits set', 'MQTT-3-8.3-4');
      if (qos === 3) throw malformed('subscription with QoS 3', 'MQTT-3-8.3-4');
      packet.subscriptions.push({ topicFilter, qos: qos as QoS });
    }
  }
  if (packet.subscriptions.length === 0) {
    if (v5) throw protocolError('SUBSCRIBE without topic filters', 'MQTT-3.8.3-2');
    throw malformed('SUBSCRIBE without topic filters', 'MQTT-3.8.3-3');
  }
  return packet;
}

const V4_SUBACK_CODES = new Set([0x00, 0x01, 0x02, 0x80]);

function decodeSuback(r: Reader, v5: boolean): SubackPacket {
  const packet: SubackPacket = { type: 'suback', packetId: readPacketId(r, v5), reasonCodes: [] };
  if (v5) {
    const properties = decodeProperties(r, PacketType.SUBACK);
    if (properties !== undefined) packet.properties = properties;
  }
  if (r.remaining === 0) throw malformed('SUBACK without return codes');
  while (r.remaining > 0) {
    const code = r.u8();
    if (!v5 && !V4_SUBACK_CODES.has(code)) throw malformed(`SUBACK return code ${code}`, 'MQTT-3.9.3-2');
    packet.reasonCodes.push(code);
  }
  return packet;
}

function decodeUnsubscribe(r: Reader, v5: boolean): UnsubscribePacket {
  const packet: UnsubscribePacket = { type: 'unsubscribe', packetId: readPacketId(r, v5), topicFilters: [] };
  if (v5) {
    const properties = decodeProperties(r, PacketType.UNSUBSCRIBE);
    if (properties !== undefined) packet.properties = properties;
  }
  while (r.remaining > 0) {
    const topicFilter = r.utf8();
    if (topicFilter.length === 0) throw malformed('empty topic filter', 'MQTT-4.7.3-1');
    packet.topicFilters.push(topicFilter);
  }
  if (packet.topicFilters.length === 0) {
    if (v5) throw protocolError('UNSUBSCRIBE without topic filters', 'MQTT-3.10.3-2');
    throw malformed('UNSUBSCRIBE without topic filters', 'MQTT-3.10.3-2');
  }
  return packet;
}

function decodeUnsuback(r: Reader, v5: boolean): UnsubackPacket {
  const packet: UnsubackPacket = { type: 'unsuback', packetId: readPacketId(r, v5) };
  if (v5) {
    const properties = decodeProperties(r, PacketType.UNSUBACK);
    if (properties !== undefined) packet.properties = properties;
    const reasonCodes: number[] = [];
    while (r.remaining > 0) reasonCodes.push(r.u8());
    packet.reasonCodes = reasonCodes;
  }
  return packet;
}

function decodeDisconnectOrAuth(
  type: 'disconnect' | 'auth',
  packetType: number,
  r: Reader,
  v5: boolean,
): DisconnectPacket | AuthPacket {
  const packet: DisconnectPacket | AuthPacket = { type };
  // 5.0: remaining length 0 means reason code 0; under 2, no property length
  // (MQTT 5.0 3.14.2.1, 3.14.2.2.1, 3.15.2.1).
  if (v5 && r.remaining > 0) {
    packet.reasonCode = r.u8();
    if (r.remaining > 0) {
      const properties = decodeProperties(r, packetType);
      if (properties !== undefined) packet.properties = properties;
    }
  }
  return packet;
}
