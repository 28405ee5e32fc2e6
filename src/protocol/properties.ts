import { ProtocolError } from './errors.js';
import { binarySize, MAX_U16, stringSize, writeBinary, writeString, writeU16 } from './fields.js';
import type { Reader } from './reader.js';
import { ReasonCode } from './reason-codes.js';
import type { Properties } from './types.js';
import { PacketType } from './types.js';
import { MAX_VARINT, varintSize, writeVarint } from './varint.js';

/** The data types of MQTT 5.0 section 1.5. */
export type PropertyKind = 'byte' | 'twoByteInt' | 'fourByteInt' | 'varint' | 'utf8' | 'binary' | 'utf8Pair';

/**
 * Where a property list sits: a packet type (1..15), or WILL for the will properties in the
 * CONNECT payload, which have their own allowed set. Packet type 0 is reserved, so WILL reuses it.
 */
export const WILL = 0;

export interface PropertyDefinition {
  id: number;
  name: keyof Properties;
  kind: PropertyKind;
  /** Bit (1 << context) for every context that may carry the property. */
  allowedIn: number;
}

const {
  CONNECT,
  CONNACK,
  PUBLISH,
  PUBACK,
  PUBREC,
  PUBREL,
  PUBCOMP,
  SUBSCRIBE,
  SUBACK,
  UNSUBSCRIBE,
  UNSUBACK,
  DISCONNECT,
  AUTH,
} = PacketType;

function where(...contexts: number[]): number {
  let mask = 0;
  for (const c of contexts) mask |= 1 << c;
  return mask;
}

/** MQTT 5.0 section 2.2.2.2, table 2-4. */
export const PROPERTIES: readonly PropertyDefinition[] = [
  { id: 0x01, name: 'payloadFormatIndicator', kind: 'byte', allowedIn: where(PUBLISH, WILL) },
  { id: 0x02, name: 'messageExpiryInterval', kind: 'fourByteInt', allowedIn: where(PUBLISH, WILL) },
  { id: 0x03, name: 'contentType', kind: 'utf8', allowedIn: where(PUBLISH, WILL) },
  { id: 0x08, name: 'responseTopic', kind: 'utf8', allowedIn: where(PUBLISH, WILL) },
  { id: 0x09, name: 'correlationData', kind: 'binary', allowedIn: where(PUBLISH, WILL) },
  { id: 0x0b, name: 'subscriptionIdentifiers', kind: 'varint', allowedIn: where(PUBLISH, SUBSCRIBE) },
  {
    id: 0x11,
    name: 'sessionExpiryInterval',
    kind: 'fourByteInt',
    allowedIn: where(CONNECT, CONNACK, DISCONNECT),
  },
  { id: 0x12, name: 'assignedClientIdentifier', kind: 'utf8', allowedIn: where(CONNACK) },
  { id: 0x13, name: 'serverKeepAlive', kind: 'twoByteInt', allowedIn: where(CONNACK) },
  { id: 0x15, name: 'authenticationMethod', kind: 'utf8', allowedIn: where(CONNECT, CONNACK, AUTH) },
  { id: 0x16, name: 'authenticationData', kind: 'binary', allowedIn: where(CONNECT, CONNACK, AUTH) },
  { id: 0x17, name: 'requestProblemInformation', kind: 'byte', allowedIn: where(CONNECT) },
  { id: 0x18, name: 'willDelayInterval', kind: 'fourByteInt', allowedIn: where(WILL) },
  { id: 0x19, name: 'requestResponseInformation', kind: 'byte', allowedIn: where(CONNECT) },
  { id: 0x1a, name: 'responseInformation', kind: 'utf8', allowedIn: where(CONNACK) },
  { id: 0x1c, name: 'serverReference', kind: 'utf8', allowedIn: where(CONNACK, DISCONNECT) },
  {
    id: 0x1f,
    name: 'reasonString',
    kind: 'utf8',
    allowedIn: where(CONNACK, PUBACK, PUBREC, PUBREL, PUBCOMP, SUBACK, UNSUBACK, DISCONNECT, AUTH),
  },
  { id: 0x21, name: 'receiveMaximum', kind: 'twoByteInt', allowedIn: where(CONNECT, CONNACK) },
  { id: 0x22, name: 'topicAliasMaximum', kind: 'twoByteInt', allowedIn: where(CONNECT, CONNACK) },
  { id: 0x23, name: 'topicAlias', kind: 'twoByteInt', allowedIn: where(PUBLISH) },
  { id: 0x24, name: 'maximumQoS', kind: 'byte', allowedIn: where(CONNACK) },
  { id: 0x25, name: 'retainAvailable', kind: 'byte', allowedIn: where(CONNACK) },
  {
    id: 0x26,
    name: 'userProperties',
    kind: 'utf8Pair',
    allowedIn: where(
      CONNECT,
      CONNACK,
      PUBLISH,
      WILL,
      PUBACK,
      PUBREC,
      PUBREL,
      PUBCOMP,
      SUBSCRIBE,
      SUBACK,
      UNSUBSCRIBE,
      UNSUBACK,
      DISCONNECT,
      AUTH,
    ),
  },
  { id: 0x27, name: 'maximumPacketSize', kind: 'fourByteInt', allowedIn: where(CONNECT, CONNACK) },
  { id: 0x28, name: 'wildcardSubscriptionAvailable', kind: 'byte', allowedIn: where(CONNACK) },
  { id: 0x29, name: 'subscriptionIdentifierAvailable', kind: 'byte', allowedIn: where(CONNACK) },
  { id: 0x2a, name: 'sharedSubscriptionAvailable', kind: 'byte', allowedIn: where(CONNACK) },
];

const BY_ID: (PropertyDefinition | undefined)[] = [];
const BY_NAME = new Map<string, PropertyDefinition>();
for (const def of PROPERTIES) {
  BY_ID[def.id] = def;
  BY_NAME.set(def.name, def);
}

export function propertyById(id: number): PropertyDefinition | undefined {
  return BY_ID[id];
}

export function propertyByName(name: string): PropertyDefinition | undefined {
  return BY_NAME.get(name);
}

const CONTEXT_NAMES = ['will', ...Object.keys(PacketType)];

function contextName(context: number): string {
  return CONTEXT_NAMES[context] ?? String(context);
}

/**
 * Why `value` is not allowed for `def` where the specification calls it a Protocol Error
 * (MQTT 5.0 sections 3.1.2.11, 3.2.2.3, 3.3.2.3 per property), or undefined when it is fine.
 */
function invalidValue(def: PropertyDefinition, value: unknown): string | undefined {
  switch (def.id) {
    case 0x17: // request problem information, 3.1.2.11.7
    case 0x19: // request response information, 3.1.2.11.6
    case 0x24: // maximum QoS, 3.2.2.3.4
    case 0x25: // retain available, 3.2.2.3.5
    case 0x28: // wildcard subscription available, 3.2.2.3.11
    case 0x29: // subscription identifiers available, 3.2.2.3.12
    case 0x2a: // shared subscription available, 3.2.2.3.13
      return value === 0 || value === 1 ? undefined : `${def.name} must be 0 or 1, got ${value}`;
    case 0x0b: // subscription identifier, 3.3.2.3.8
    case 0x21: // receive maximum, 3.1.2.11.3
    case 0x23: // topic alias, 3.3.2.3.4 [MQTT-3.3.2-8]
    case 0x27: // maximum packet size, 3.1.2.11.4
      return value === 0 ? `${def.name} must not be 0` : undefined;
    default:
      return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Encoding

function checkInteger(def: PropertyDefinition, value: unknown, min: number, max: number): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new Error(`property ${def.name} must be an integer in ${min}..${max}, got ${String(value)}`);
  }
}

/** Size of one value of `def`, without the identifier byte; throws for a value that cannot be sent. */
function valueSize(def: PropertyDefinition, value: unknown): number {
  const invalid = invalidValue(def, value);
  if (invalid !== undefined) throw new Error(invalid);
  switch (def.kind) {
    case 'byte':
      checkInteger(def, value, 0, 0xff);
      return 1;
    case 'twoByteInt':
      checkInteger(def, value, 0, MAX_U16);
      return 2;
    case 'fourByteInt':
      checkInteger(def, value, 0, 0xffffffff);
      return 4;
    case 'varint':
      checkInteger(def, value, 1, MAX_VARINT);
      return varintSize(value as number);
    case 'utf8':
      return stringSize(value as string);
    case 'binary':
      return binarySize(value as Buffer);
    case 'utf8Pair': {
      const [k, v] = value as [string, string];
      return stringSize(k) + stringSize(v);
    }
  }
}

/**
 * Bytes of the property list of `props` in `context`, without the list's own length prefix.
 * Throws a plain Error for a property that the context may not carry or a value that cannot be
 * encoded, so a caller never puts a malformed packet on the wire.
 */
export function propertiesLength(props: Properties | undefined, context: number): number {
  if (props === undefined) return 0;
  let length = 0;
  for (const name in props) {
    const value = props[name as keyof Properties];
    if (value === undefined) continue;
    const def = BY_NAME.get(name);
    if (def === undefined) throw new Error(`unknown MQTT 5.0 property ${name}`);
    if ((def.allowedIn & (1 << context)) === 0) {
      throw new Error(`property ${name} is not allowed in ${contextName(context)}`);
    }
    if (def.kind === 'utf8Pair' || def.kind === 'varint') {
      const items = value as unknown[];
      if (def.kind === 'varint' && context !== PUBLISH && items.length > 1) {
        throw new Error(`${contextName(context)} carries at most one ${def.name}`);
      }
      for (const item of items) length += 1 + valueSize(def, item);
    } else {
      length += 1 + valueSize(def, value);
    }
  }
  return length;
}

/** Bytes of a property list including its length prefix, given propertiesLength's result. */
export function propertiesSize(length: number): number {
  return varintSize(length) + length;
}

function writeValue(buf: Buffer, pos: number, def: PropertyDefinition, value: unknown): number {
  buf[pos++] = def.id;
  switch (def.kind) {
    case 'byte':
      buf[pos] = value as number;
      return pos + 1;
    case 'twoByteInt':
      return writeU16(buf, pos, value as number);
    case 'fourByteInt':
      buf.writeUInt32BE(value as number, pos);
      return pos + 4;
    case 'varint':
      return writeVarint(buf, pos, value as number);
    case 'utf8':
      return writeString(buf, pos, value as string, stringSize(value as string));
    case 'binary':
      return writeBinary(buf, pos, value as Buffer);
    case 'utf8Pair': {
      const [k, v] = value as [string, string];
      pos = writeString(buf, pos, k, stringSize(k));
      return writeString(buf, pos, v, stringSize(v));
    }
  }
}

/**
 * Writes the property list of `props` (length prefix first) at `pos` and returns the position
 * after it. `length` is propertiesLength's result, which has already validated every value.
 */
export function encodeProperties(
  buf: Buffer,
  pos: number,
  props: Properties | undefined,
  length: number,
): number {
  pos = writeVarint(buf, pos, length);
  if (props === undefined || length === 0) return pos;
  for (const name in props) {
    const value = props[name as keyof Properties];
    if (value === undefined) continue;
    const def = BY_NAME.get(name)!;
    if (def.kind === 'utf8Pair' || def.kind === 'varint') {
      for (const item of value as unknown[]) pos = writeValue(buf, pos, def, item);
    } else {
      pos = writeValue(buf, pos, def, value);
    }
  }
  return pos;
}

// ---------------------------------------------------------------------------------------------
// Decoding

function protocolError(message: string, statement?: string): ProtocolError {
  return new ProtocolError(message, ReasonCode.ProtocolError, statement);
}

function readValue(r: Reader, def: PropertyDefinition): unknown {
  switch (def.kind) {
    case 'byte':
      return r.u8();
    case 'twoByteInt':
      return r.u16();
    case 'fourByteInt':
      return r.u32();
    case 'varint':
      return r.varint();
    case 'utf8':
      return r.utf8();
    case 'binary':
      return r.binary();
    case 'utf8Pair':
      return [r.utf8(), r.utf8()];
  }
}

/**
 * Reads a property list (length prefix first) at the reader's position for `context`. Returns
 * undefined for an empty list so that packets without properties carry no `properties` key.
 *
 * An identifier unknown or not valid for the context is a Malformed Packet (MQTT 5.0 section
 * 2.2.2.2); a property given twice is a Protocol Error, except User Property, which may repeat,
 * and Subscription Identifier, which may repeat in a PUBLISH (section 3.3.2.3.8).
 */
export function decodeProperties(r: Reader, context: number): Properties | undefined {
  const length = r.varint();
  if (length === 0) return undefined;
  const end = r.pos + length;
  if (end > r.end) {
    throw new ProtocolError('property length exceeds the packet', ReasonCode.MalformedPacket);
  }
  const outerEnd = r.end;
  // Bound reads by the property list so a value cannot run into the fields after it.
  r.end = end;
  const props: Record<string, unknown> = {};
  const mask = 1 << context;
  while (r.pos < end) {
    const id = r.varint();
    const def = BY_ID[id];
    if (def === undefined || (def.allowedIn & mask) === 0) {
      throw new ProtocolError(
        `property 0x${id.toString(16)} is not valid in ${contextName(context)}`,
        ReasonCode.MalformedPacket,
      );
    }
    const value = readValue(r, def);
    const invalid = invalidValue(def, value);
    if (invalid !== undefined) throw protocolError(invalid);
    const previous = props[def.name];
    if (def.kind === 'utf8Pair' || def.kind === 'varint') {
      if (previous === undefined) {
        props[def.name] = [value];
      } else if (def.kind === 'utf8Pair' || context === PUBLISH) {
        (previous as unknown[]).push(value);
      } else {
        throw protocolError(`property ${def.name} given more than once`);
      }
    } else if (previous === undefined) {
      props[def.name] = value;
    } else {
      throw protocolError(`property ${def.name} given more than once`);
    }
  }
  r.end = outerEnd;
  return props as Properties;
}
