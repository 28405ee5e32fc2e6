import type { Properties, ProtocolVersion, PublishPacket, QoS } from '../protocol/types.js';
import type { HeaderParts } from './write-batch.js';

const EMPTY = Buffer.alloc(0);

/** Filled in and encoded by Message.header, one message at a time: no packet object per message. */
const headerPacket: PublishPacket = {
  type: 'publish',
  topic: '',
  payload: EMPTY,
  qos: 0,
  retain: false,
  dup: false,
  packetId: undefined,
  properties: undefined,
};

/**
 * A shared header, whose first part is staged bytes (write-batch.ts) when it fits, valid for this
 * turn's writes only. One per variant (version family, QoS, retain) serves every message in turn:
 * it is the message's that `owner` names, while that message is routed.
 */
export interface EncodedHeader extends HeaderParts {
  builtAtSecond: number;
  owner: Message | undefined;
}

const VARIANTS = 12;
const sharedHeaders: EncodedHeader[] = Array.from({ length: VARIANTS }, () => ({
  header: 0,
  afterPacketId: undefined,
  builtAtSecond: 0,
  owner: undefined,
}));
/** The variants whose header has an owner, one bit each: what forgetHeaders looks at. */
let owned = 0;

/**
 * An application message inside the broker. Created once per received PUBLISH and shared by
 * every delivery: the payload is never copied, and the encoded PUBLISH header of each
 * (protocol family, QoS, retain) variant is built once while it is routed.
 */
export class Message {
  /** QoS in bits 0-1, then retain and from-a-bridge: one small integer, not three fields. */
  private readonly bits: number;
  /** Whole seconds, a small integer: a time in ms is a double, which V8 boxes in a heap number of its own. */
  private readonly receivedSecond: number;

  /**
   * Every field here is paid by every message in flight, which a slow subscriber's backlog keeps
   * past young-generation collections: flags packed, the time in seconds and no headers of its
   * own keep the object at 80 bytes (128 with a field each, and a heap number for the time).
   */
  constructor(
    readonly topic: string,
    readonly payload: Buffer,
    qos: QoS,
    retain: boolean,
    /** 5.0 properties that travel with the message (no topic alias, no subscription ids). */
    readonly properties: Properties | undefined,
    /** Epoch ms after which the message must not be delivered; 0 = never expires. */
    readonly expiresAt: number,
    /** Client id of the publisher, for No Local; '' for messages the broker makes itself. */
    readonly origin: string,
    /** True when it arrived from a bridge, so it is never echoed back to one. */
    fromBridge: boolean,
    /** Epoch ms; kept to the second. */
    receivedAt: number = Date.now(),
  ) {
    this.bits = qos | (retain ? 4 : 0) | (fromBridge ? 8 : 0);
    this.receivedSecond = Math.floor(receivedAt / 1000);
  }

  get qos(): QoS {
    return (this.bits & 3) as QoS;
  }

  get retain(): boolean {
    return (this.bits & 4) !== 0;
  }

  get fromBridge(): boolean {
    return (this.bits & 8) !== 0;
  }

  /** Epoch ms at which the broker received it, to the second. */
  get receivedAt(): number {
    return this.receivedSecond * 1000;
  }

  static fromPublish(
    packet: PublishPacket,
    origin: string,
    fromBridge: boolean,
    topic = packet.topic,
    now = Date.now(),
  ): Message {
    let properties: Properties | undefined;
    let expiresAt = 0;
    const p = packet.properties;
    if (p) {
      const forwarded: Properties = {};
      let any = false;
      if (p.payloadFormatIndicator !== undefined) {
        forwarded.payloadFormatIndicator = p.payloadFormatIndicator;
        any = true;
      }
      if (p.messageExpiryInterval !== undefined) {
        forwarded.messageExpiryInterval = p.messageExpiryInterval;
        expiresAt = now + p.messageExpiryInterval * 1000;
        any = true;
      }
      if (p.contentType !== undefined) {
        forwarded.contentType = p.contentType;
        any = true;
      }
      if (p.responseTopic !== undefined) {
        forwarded.responseTopic = p.responseTopic;
        any = true;
      }
      if (p.correlationData !== undefined) {
        forwarded.correlationData = p.correlationData;
        any = true;
      }
      if (p.userProperties !== undefined) {
        forwarded.userProperties = p.userProperties;
        any = true;
      }
      if (any) properties = forwarded;
    }
    return new Message(
      topic,
      packet.payload,
      packet.qos,
      packet.retain,
      properties,
      expiresAt,
      origin,
      fromBridge,
      now,
    );
  }

  /** Seconds left before expiry, rounded up, or undefined when the message never expires. */
  remainingExpiry(now: number): number | undefined {
    if (this.expiresAt === 0) return undefined;
    return Math.max(0, Math.ceil((this.expiresAt - now) / 1000));
  }

  isExpired(now: number): boolean {
    return this.expiresAt !== 0 && now >= this.expiresAt;
  }

  /**
   * The shared header for a delivery that needs no per-subscriber properties. For QoS > 0 it
   * comes in two parts, before and after the packet id, which each delivery writes between them.
   * A 5.0 header is only shared while the message expiry it carries is still exact (same second).
   * It is kept for the next delivery only when `keep` (while the message is being routed; see
   * forgetHeaders). The object returned is shared: read it before the next call.
   */
  header(
    version: ProtocolVersion,
    qos: QoS,
    retain: boolean,
    now: number,
    keep: boolean,
    encodeHeader: (packet: PublishPacket, version: ProtocolVersion, into: HeaderParts) => void,
  ): EncodedHeader {
    const v5 = version === 5;
    const variant = (v5 ? 6 : 0) + qos * 2 + (retain ? 1 : 0);
    const slot = sharedHeaders[variant]!;
    if (
      slot.owner === this &&
      (!v5 || this.expiresAt === 0 || slot.builtAtSecond === Math.floor(now / 1000))
    ) {
      return slot;
    }
    const packet = headerPacket;
    packet.topic = this.topic;
    packet.payload = this.payload;
    packet.qos = qos;
    packet.retain = retain;
    packet.packetId = qos > 0 ? 1 : undefined;
    packet.properties = v5 ? this.propertiesAt(now, undefined) : undefined;
    encodeHeader(packet, version, slot);
    packet.payload = EMPTY;
    packet.properties = undefined;
    // Kept only where it is checked: a number this large would cost a heap number.
    slot.builtAtSecond = v5 && this.expiresAt !== 0 ? Math.floor(now / 1000) : 0;
    slot.owner = keep ? this : undefined;
    if (keep) owned |= 1 << variant;
    return slot;
  }

  /**
   * Gives up the encoded headers once the message has been routed: their staged bytes are valid
   * only in this turn, so a delivery made later (queued, resent, a retained replay) encodes its own.
   */
  forgetHeaders(): void {
    // Most messages own one header (every subscriber on the same version family and QoS): a
    // look at each of the twelve was 4% of fan-in's time at QoS 0.
    for (let bits = owned; bits !== 0; bits &= bits - 1) {
      const variant = 31 - Math.clz32(bits & -bits);
      const slot = sharedHeaders[variant]!;
      if (slot.owner === this || slot.owner === undefined) {
        slot.owner = undefined;
        owned &= ~(1 << variant);
      }
    }
  }

  /** The 5.0 properties of one delivery: expiry counted down, plus the subscriber's own extras. */
  propertiesAt(now: number, extra: Properties | undefined): Properties | undefined {
    const remaining = this.remainingExpiry(now);
    if (this.properties === undefined && extra === undefined) {
      return remaining === undefined ? undefined : { messageExpiryInterval: remaining };
    }
    const props: Properties = { ...this.properties, ...extra };
    if (remaining !== undefined) props.messageExpiryInterval = remaining;
    return props;
  }

  /** The same message with another topic, as bridges and mount points need. */
  withTopic(topic: string): Message {
    return new Message(
      topic,
      this.payload,
      this.qos,
      this.retain,
      this.properties,
      this.expiresAt,
      this.origin,
      this.fromBridge,
      this.receivedAt,
    );
  }
}
