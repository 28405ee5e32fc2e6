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
 * An application message inside the broker. Created once per received PUBLISH and shared by
 * every delivery: the payload is never copied, and the encoded PUBLISH header of each
 * (protocol family, QoS, retain) variant is built at most once.
 */
export class Message {
  /** Encoded headers by variant (version family, QoS, retain), built on first delivery. */
  private lastHeader: EncodedHeader | undefined;
  private otherHeaders: EncodedHeader[] | undefined;

  constructor(
    readonly topic: string,
    readonly payload: Buffer,
    readonly qos: QoS,
    readonly retain: boolean,
    /** 5.0 properties that travel with the message (no topic alias, no subscription ids). */
    readonly properties: Properties | undefined,
    /** Epoch ms after which the message must not be delivered; 0 = never expires. */
    readonly expiresAt: number,
    /** Client id of the publisher, for No Local; '' for messages the broker makes itself. */
    readonly origin: string,
    /** True when it arrived from a bridge, so it is never echoed back to one. */
    readonly fromBridge: boolean,
    readonly receivedAt: number = Date.now(),
  ) {}

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
   * forgetHeaders).
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
    // Most messages go out in one variant: one slot, and an array only for the others.
    let cached = this.lastHeader;
    if (cached?.variant !== variant) cached = this.otherHeaders?.find((h) => h.variant === variant);
    if (
      cached !== undefined &&
      (!v5 || this.expiresAt === 0 || cached.builtAtSecond === Math.floor(now / 1000))
    ) {
      return cached;
    }
    const packet = headerPacket;
    packet.topic = this.topic;
    packet.payload = this.payload;
    packet.qos = qos;
    packet.retain = retain;
    packet.packetId = qos > 0 ? 1 : undefined;
    packet.properties = v5 ? this.propertiesAt(now, undefined) : undefined;
    const fresh: EncodedHeader = {
      variant,
      header: EMPTY,
      afterPacketId: undefined,
      // Kept only where it is checked: a number this large would cost every message a heap number.
      builtAtSecond: v5 && this.expiresAt !== 0 ? Math.floor(now / 1000) : 0,
    };
    encodeHeader(packet, version, fresh);
    packet.payload = EMPTY;
    packet.properties = undefined;
    if (!keep) return fresh;
    if (this.lastHeader === undefined || this.lastHeader.variant === variant) this.lastHeader = fresh;
    else {
      this.otherHeaders ??= [];
      const at = this.otherHeaders.findIndex((h) => h.variant === variant);
      if (at >= 0) this.otherHeaders[at] = fresh;
      else this.otherHeaders.push(fresh);
    }
    return fresh;
  }

  /**
   * Lets the encoded headers go once the message has been routed. They are shared by the
   * deliveries made while it is routed; kept longer, they would ride along with every message in
   * flight or retained (each young-generation collection copying them), so a delivery made later
   * (queued, resent, a retained replay) encodes its own.
   */
  forgetHeaders(): void {
    this.lastHeader = undefined;
    this.otherHeaders = undefined;
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

/**
 * A shared header, whose first part is staged bytes (write-batch.ts) when it fits, valid for this
 * turn's writes only: a message keeps its headers only while it is routed, in one turn.
 */
export interface EncodedHeader extends HeaderParts {
  variant: number;
  builtAtSecond: number;
}
