import { binarySize, MAX_U16, stringSize, writeBinary, writeString, writeU16 } from './fields.js';
import { encodeProperties, propertiesLength, propertiesSize, WILL } from './properties.js';
import type {
  AckPacket,
  AuthPacket,
  ConnackPacket,
  ConnectPacket,
  DisconnectPacket,
  Packet,
  Properties,
  ProtocolVersion,
  PublishPacket,
  SubackPacket,
  SubscribePacket,
  UnsubackPacket,
  UnsubscribePacket,
} from './types.js';
import { PacketType } from './types.js';
import { MAX_VARINT, varintSize, writeVarint } from './varint.js';

/*
 * Every encoder measures the packet first and allocates one buffer of exactly its size. A packet
 * that cannot be put on the wire (an oversized string, an out-of-range number, a missing packet
 * identifier) throws a plain Error: it is the caller's bug, not the peer's.
 */

function checkPacketId(id: number | undefined): number {
  if (id === undefined || !Number.isInteger(id) || id < 1 || id > MAX_U16) {
    throw new Error(`packet identifier must be an integer in 1..65535, got ${String(id)}`);
  }
  return id;
}

function checkByte(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 0 || value > 0xff) {
    throw new Error(`${name} must be an integer in 0..255, got ${String(value)}`);
  }
  return value;
}

/** Allocates a packet of `remaining` body bytes and writes its fixed header; returns the buffer. */
function allocate(first: number, remaining: number): Buffer {
  if (remaining > MAX_VARINT) {
    throw new Error(`packet body of ${remaining} bytes exceeds the MQTT maximum of ${MAX_VARINT}`);
  }
  const buf = Buffer.allocUnsafe(1 + varintSize(remaining) + remaining);
  buf[0] = first;
  writeVarint(buf, 1, remaining);
  return buf;
}

function headerSize(remaining: number): number {
  return 1 + varintSize(remaining);
}

/** Encodes `packet` for a stream speaking `version`; 5.0-only fields are dropped for 3.1 / 3.1.1. */
export function encode(packet: Packet, version: ProtocolVersion): Buffer {
  switch (packet.type) {
    case 'publish':
      return encodePublish(packet, version);
    case 'puback':
    case 'pubrec':
    case 'pubrel':
    case 'pubcomp':
      return encodeAck(packet, version);
    case 'subscribe':
      return encodeSubscribe(packet, version);
    case 'suback':
      return encodeSuback(packet, version);
    case 'unsubscribe':
      return encodeUnsubscribe(packet, version);
    case 'unsuback':
      return encodeUnsuback(packet, version);
    case 'pingreq':
      return Buffer.from([PacketType.PINGREQ << 4, 0]);
    case 'pingresp':
      return Buffer.from([PacketType.PINGRESP << 4, 0]);
    case 'connect':
      return encodeConnect(packet, version);
    case 'connack':
      return encodeConnack(packet, version);
    case 'disconnect':
    case 'auth':
      return encodeDisconnectOrAuth(packet, version);
  }
}

// ---------------------------------------------------------------------------------------------
// PUBLISH

/** Layout of the PUBLISH being encoded; module state so the hot path allocates no record. */
let publishTopicSize = 0;
let publishPropsLength = 0;
let publishRemaining = 0;

/** Measures everything of a PUBLISH but the payload bytes and returns the header's size. */
function measurePublish(packet: PublishPacket, version: ProtocolVersion): number {
  publishTopicSize = stringSize(packet.topic);
  let variable = publishTopicSize;
  if (packet.qos > 0) {
    checkPacketId(packet.packetId);
    variable += 2;
  } else if (packet.qos !== 0) {
    throw new Error(`PUBLISH QoS must be 0, 1 or 2, got ${String(packet.qos)}`);
  }
  if (version === 5) {
    publishPropsLength = propertiesLength(packet.properties, PacketType.PUBLISH);
    variable += propertiesSize(publishPropsLength);
  }
  publishRemaining = variable + packet.payload.length;
  if (publishRemaining > MAX_VARINT) {
    throw new Error(`packet body of ${publishRemaining} bytes exceeds the MQTT maximum of ${MAX_VARINT}`);
  }
  return headerSize(publishRemaining) + variable;
}

/** Writes the measured fixed header and topic name into `buf` from `at`; returns where they end. */
function writePublishStart(buf: Buffer, at: number, packet: PublishPacket): number {
  buf[at] = 0x30 | (packet.dup ? 0x08 : 0) | (packet.qos << 1) | (packet.retain ? 0x01 : 0);
  const pos = writeVarint(buf, at + 1, publishRemaining);
  return writeString(buf, pos, packet.topic, publishTopicSize);
}

/** Writes the measured header into `buf` from 0 and returns the packet id offset (-1 at QoS 0). */
function writePublishHeader(buf: Buffer, packet: PublishPacket, version: ProtocolVersion): number {
  let pos = writePublishStart(buf, 0, packet);
  let packetIdOffset = -1;
  if (packet.qos > 0) {
    packetIdOffset = pos;
    pos = writeU16(buf, pos, packet.packetId!);
  }
  if (version === 5) encodeProperties(buf, pos, packet.properties, publishPropsLength);
  return packetIdOffset;
}

function encodePublish(packet: PublishPacket, version: ProtocolVersion): Buffer {
  const header = measurePublish(packet, version);
  const buf = Buffer.allocUnsafe(header + packet.payload.length);
  writePublishHeader(buf, packet, version);
  packet.payload.copy(buf, header);
  return buf;
}

/**
 * Everything of a PUBLISH but its payload; the remaining length counts `packet.payload.length`,
 * so writing the header and then the payload gives the whole packet. Lets one payload buffer
 * follow many per-subscriber headers. `packetIdOffset` locates the two-byte packet identifier
 * (-1 at QoS 0), for copying the header and patching the id with writePacketId.
 */
export function encodePublishHeader(
  packet: PublishPacket,
  version: ProtocolVersion,
): { header: Buffer; packetIdOffset: number } {
  const header = Buffer.allocUnsafe(measurePublish(packet, version));
  const packetIdOffset = writePublishHeader(header, packet, version);
  return { header, packetIdOffset };
}

/**
 * A PUBLISH header that many deliveries share, each writing its own packet id after it, in the
 * caller's own buffer: the size of the bytes before the packet id (the whole header at QoS 0),
 * for writePublishStartAt to write them where the caller has room; then, 5.0 at QoS 1 and 2, the
 * properties that follow the packet id (encodePublishAfterPacketId). The layout measured here
 * is module state: the writes that follow are of this packet, with nothing encoded between.
 */
export function measurePublishStart(packet: PublishPacket, version: ProtocolVersion): number {
  const size = measurePublish(packet, version);
  return packet.qos === 0 ? size : headerSize(publishRemaining) + publishTopicSize;
}

/** Writes the bytes measurePublishStart measured into `buf` at `at`. */
export function writePublishStartAt(
  buf: Buffer,
  at: number,
  packet: PublishPacket,
  version: ProtocolVersion,
): void {
  const pos = writePublishStart(buf, at, packet);
  if (packet.qos === 0 && version === 5) encodeProperties(buf, pos, packet.properties, publishPropsLength);
}

/** 5.0 at QoS 1 and 2: the properties after the packet id of the packet measurePublishStart measured. */
export function encodePublishAfterPacketId(
  packet: PublishPacket,
  version: ProtocolVersion,
): Buffer | undefined {
  if (packet.qos === 0 || version !== 5) return undefined;
  const after = Buffer.allocUnsafe(propertiesSize(publishPropsLength));
  encodeProperties(after, 0, packet.properties, publishPropsLength);
  return after;
}

/** Overwrites the packet identifier at `offset` of a header from encodePublishHeader. */
export function writePacketId(header: Buffer, offset: number, id: number): void {
  writeU16(header, offset, checkPacketId(id));
}

// ---------------------------------------------------------------------------------------------
// Acknowledgements, DISCONNECT, AUTH

/** The first byte of each acknowledgement (PUBREL carries the flags 0b0010 [MQTT-3.6.1-1]). */
export const ACK_FIRST_BYTE = {
  puback: PacketType.PUBACK << 4,
  pubrec: PacketType.PUBREC << 4,
  pubrel: (PacketType.PUBREL << 4) | 0x02,
  pubcomp: PacketType.PUBCOMP << 4,
} as const;

const ACK_CONTEXT = {
  puback: PacketType.PUBACK,
  pubrec: PacketType.PUBREC,
  pubrel: PacketType.PUBREL,
  pubcomp: PacketType.PUBCOMP,
} as const;

function encodeAck(packet: AckPacket, version: ProtocolVersion): Buffer {
  const first = ACK_FIRST_BYTE[packet.type];
  const packetId = checkPacketId(packet.packetId);
  const propsLength = version === 5 ? propertiesLength(packet.properties, ACK_CONTEXT[packet.type]) : 0;
  const reasonCode = checkByte('reason code', packet.reasonCode ?? 0);
  // The shortest form 5.0 allows (3.4.2.1): success without properties is the two-byte 3.1.1
  // form, a reason code without properties leaves out the property length.
  if (version !== 5 || (reasonCode === 0 && propsLength === 0)) {
    const buf = allocate(first, 2);
    writeU16(buf, 2, packetId);
    return buf;
  }
  const remaining = 3 + (propsLength === 0 ? 0 : propertiesSize(propsLength));
  const buf = allocate(first, remaining);
  let pos = writeU16(buf, headerSize(remaining), packetId);
  buf[pos++] = reasonCode;
  if (propsLength > 0) encodeProperties(buf, pos, packet.properties, propsLength);
  return buf;
}

function encodeDisconnectOrAuth(packet: DisconnectPacket | AuthPacket, version: ProtocolVersion): Buffer {
  const isAuth = packet.type === 'auth';
  const packetType = isAuth ? PacketType.AUTH : PacketType.DISCONNECT;
  if (version !== 5) {
    if (isAuth) throw new Error('AUTH exists only in MQTT 5.0');
    return Buffer.from([packetType << 4, 0]);
  }
  // The reason code and property length are always written, as mqtt-packet does; 5.0 would
  // allow an empty body for success without properties (3.14.2.1, 3.15.2.1).
  const reasonCode = checkByte('reason code', packet.reasonCode ?? 0);
  const propsLength = propertiesLength(packet.properties, packetType);
  const remaining = 1 + propertiesSize(propsLength);
  const buf = allocate(packetType << 4, remaining);
  const pos = headerSize(remaining);
  buf[pos] = reasonCode;
  encodeProperties(buf, pos + 1, packet.properties, propsLength);
  return buf;
}

// ---------------------------------------------------------------------------------------------
// SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK

function optionalProperties(
  version: ProtocolVersion,
  props: Properties | undefined,
  context: number,
): number {
  return version === 5 ? propertiesLength(props, context) : 0;
}

function encodeSubscribe(packet: SubscribePacket, version: ProtocolVersion): Buffer {
  const packetId = checkPacketId(packet.packetId);
  const subs = packet.subscriptions;
  if (subs.length === 0) throw new Error('SUBSCRIBE needs at least one topic filter');
  const propsLength = optionalProperties(version, packet.properties, PacketType.SUBSCRIBE);
  let remaining = 2 + (version === 5 ? propertiesSize(propsLength) : 0);
  for (const sub of subs) remaining += stringSize(sub.topicFilter) + 1;
  const buf = allocate((PacketType.SUBSCRIBE << 4) | 0x02, remaining);
  let pos = writeU16(buf, headerSize(remaining), packetId);
  if (version === 5) pos = encodeProperties(buf, pos, packet.properties, propsLength);
  for (const sub of subs) {
    pos = writeString(buf, pos, sub.topicFilter, stringSize(sub.topicFilter));
    let options = sub.qos;
    if (options !== 0 && options !== 1 && options !== 2) {
      throw new Error(`subscription QoS must be 0, 1 or 2, got ${String(options)}`);
    }
    if (version === 5) {
      const retainHandling = sub.retainHandling ?? 0;
      if (retainHandling !== 0 && retainHandling !== 1 && retainHandling !== 2) {
        throw new Error(`retain handling must be 0, 1 or 2, got ${String(retainHandling)}`);
      }
      options |= (sub.noLocal ? 0x04 : 0) | (sub.retainAsPublished ? 0x08 : 0) | (retainHandling << 4);
    }
    buf[pos++] = options;
  }
  return buf;
}

function encodeCodes(
  first: number,
  context: number,
  packetId: number,
  codes: number[],
  props: Properties | undefined,
  version: ProtocolVersion,
): Buffer {
  const propsLength = optionalProperties(version, props, context);
  const remaining = 2 + (version === 5 ? propertiesSize(propsLength) : 0) + codes.length;
  const buf = allocate(first, remaining);
  let pos = writeU16(buf, headerSize(remaining), checkPacketId(packetId));
  if (version === 5) pos = encodeProperties(buf, pos, props, propsLength);
  for (const code of codes) buf[pos++] = checkByte('reason code', code);
  return buf;
}

function encodeSuback(packet: SubackPacket, version: ProtocolVersion): Buffer {
  if (packet.reasonCodes.length === 0) throw new Error('SUBACK needs at least one reason code');
  return encodeCodes(
    PacketType.SUBACK << 4,
    PacketType.SUBACK,
    packet.packetId,
    packet.reasonCodes,
    packet.properties,
    version,
  );
}

function encodeUnsuback(packet: UnsubackPacket, version: ProtocolVersion): Buffer {
  const codes = version === 5 ? (packet.reasonCodes ?? []) : [];
  return encodeCodes(
    PacketType.UNSUBACK << 4,
    PacketType.UNSUBACK,
    packet.packetId,
    codes,
    packet.properties,
    version,
  );
}

function encodeUnsubscribe(packet: UnsubscribePacket, version: ProtocolVersion): Buffer {
  const packetId = checkPacketId(packet.packetId);
  const filters = packet.topicFilters;
  if (filters.length === 0) throw new Error('UNSUBSCRIBE needs at least one topic filter');
  const propsLength = optionalProperties(version, packet.properties, PacketType.UNSUBSCRIBE);
  let remaining = 2 + (version === 5 ? propertiesSize(propsLength) : 0);
  for (const filter of filters) remaining += stringSize(filter);
  const buf = allocate((PacketType.UNSUBSCRIBE << 4) | 0x02, remaining);
  let pos = writeU16(buf, headerSize(remaining), packetId);
  if (version === 5) pos = encodeProperties(buf, pos, packet.properties, propsLength);
  for (const filter of filters) pos = writeString(buf, pos, filter, stringSize(filter));
  return buf;
}

// ---------------------------------------------------------------------------------------------
// CONNECT, CONNACK

function encodeConnect(packet: ConnectPacket, version: ProtocolVersion): Buffer {
  if (packet.protocolVersion !== version) {
    throw new Error(`CONNECT for protocol level ${packet.protocolVersion} encoded as level ${version}`);
  }
  const v5 = version === 5;
  const { will, username, password } = packet;
  if (password !== undefined && username === undefined && !v5) {
    throw new Error('a password needs a user name before MQTT 5.0');
  }
  if (!Number.isInteger(packet.keepalive) || packet.keepalive < 0 || packet.keepalive > MAX_U16) {
    throw new Error(`keepalive must be an integer in 0..65535, got ${String(packet.keepalive)}`);
  }
  const nameSize = stringSize(packet.protocolName);
  const clientIdSize = stringSize(packet.clientId);
  const propsLength = v5 ? propertiesLength(packet.properties, PacketType.CONNECT) : 0;
  let remaining = nameSize + 4 + clientIdSize + (v5 ? propertiesSize(propsLength) : 0);
  let willPropsLength = 0;
  let willTopicSize = 0;
  let flags = packet.clean ? 0x02 : 0;
  if (will !== undefined) {
    if (will.qos !== 0 && will.qos !== 1 && will.qos !== 2) {
      throw new Error(`will QoS must be 0, 1 or 2, got ${String(will.qos)}`);
    }
    willTopicSize = stringSize(will.topic);
    remaining += willTopicSize + binarySize(will.payload);
    if (v5) {
      willPropsLength = propertiesLength(will.properties, WILL);
      remaining += propertiesSize(willPropsLength);
    }
    flags |= 0x04 | (will.qos << 3) | (will.retain ? 0x20 : 0);
  }
  let usernameSize = 0;
  if (username !== undefined) {
    usernameSize = stringSize(username);
    remaining += usernameSize;
    flags |= 0x80;
  }
  if (password !== undefined) {
    remaining += binarySize(password);
    flags |= 0x40;
  }
  const buf = allocate(PacketType.CONNECT << 4, remaining);
  let pos = writeString(buf, headerSize(remaining), packet.protocolName, nameSize);
  buf[pos++] = version | (packet.bridge ? 0x80 : 0);
  buf[pos++] = flags;
  pos = writeU16(buf, pos, packet.keepalive);
  if (v5) pos = encodeProperties(buf, pos, packet.properties, propsLength);
  pos = writeString(buf, pos, packet.clientId, clientIdSize);
  if (will !== undefined) {
    if (v5) pos = encodeProperties(buf, pos, will.properties, willPropsLength);
    pos = writeString(buf, pos, will.topic, willTopicSize);
    pos = writeBinary(buf, pos, will.payload);
  }
  if (username !== undefined) pos = writeString(buf, pos, username, usernameSize);
  if (password !== undefined) writeBinary(buf, pos, password);
  return buf;
}

function encodeConnack(packet: ConnackPacket, version: ProtocolVersion): Buffer {
  const propsLength = version === 5 ? propertiesLength(packet.properties, PacketType.CONNACK) : 0;
  const remaining = 2 + (version === 5 ? propertiesSize(propsLength) : 0);
  const buf = allocate(PacketType.CONNACK << 4, remaining);
  const pos = headerSize(remaining);
  // MQTT 3.1 has no Session Present flag: the byte is reserved and 0.
  buf[pos] = packet.sessionPresent && version !== 3 ? 1 : 0;
  buf[pos + 1] = checkByte('reason code', packet.reasonCode);
  if (version === 5) encodeProperties(buf, pos + 2, packet.properties, propsLength);
  return buf;
}
