import fc from 'fast-check';
import { PROPERTIES, type PropertyDefinition, WILL } from '../../src/protocol/properties.js';
import {
  type AckPacket,
  type AuthPacket,
  type ConnackPacket,
  type ConnectPacket,
  type DisconnectPacket,
  type Packet,
  PacketType,
  type Properties,
  type ProtocolVersion,
  type PublishPacket,
  type QoS,
  type SubackPacket,
  type SubscribePacket,
  type SubscriptionRequest,
  type UnsubackPacket,
  type UnsubscribePacket,
  type Will,
} from '../../src/protocol/types.js';

/*
 * fc.record builds objects without a prototype; they are spread into plain objects so that
 * toStrictEqual compares them with what the decoder builds.
 *
 * Arbitraries for valid packets in canonical form: exactly what the decoder returns for the bytes
 * the encoder makes of them, so decode(encode(p)) must deep-equal p. Canonical means: no
 * `properties` key for an empty list, 5.0 subscription options always present (never in 3.1.1),
 * 5.0 ack reason code absent for success without properties, DISCONNECT / AUTH reason code
 * always present in 5.0.
 *
 * `valuesFor` narrows numeric fields to what a peer implementation accepts, for differential
 * tests; the defaults cover everything the specification allows.
 */

export interface Limits {
  /** Reason codes to draw from per packet type; any byte when absent. */
  reasonCodes?: Partial<Record<Packet['type'], readonly number[]>>;
  /** Whether CONNECT may have an empty client id with clean = false. */
  emptyClientIdWithoutClean?: boolean;
  /** Whether a 5.0 CONNECT may have a password without a user name. */
  passwordWithoutUsername?: boolean;
}

const VERSIONS: readonly ProtocolVersion[] = [3, 4, 5];

export { VERSIONS };

const noNul = (s: string) => s.replaceAll('\0', '');

/** MQTT strings: mostly ASCII (the common case and the fast path), sometimes any code point. */
export const mqttString = (maxLength = 40): fc.Arbitrary<string> =>
  fc
    .oneof(
      { weight: 3, arbitrary: fc.string({ unit: 'binary-ascii', maxLength }) },
      { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength }) },
    )
    .map(noNul);

export const topicName: fc.Arbitrary<string> = mqttString()
  .map((s) => s.replace(/[+#]/g, ''))
  .filter((s) => s.length > 0);

export const topicFilter: fc.Arbitrary<string> = mqttString()
  .filter((s) => s.length > 0)
  .filter((s) => !s.startsWith('$share/'));

const buffer = (maxLength = 32): fc.Arbitrary<Buffer> =>
  fc.uint8Array({ maxLength }).map((a) => Buffer.from(a));

const u16 = fc.integer({ min: 0, max: 0xffff });
const packetId = fc.integer({ min: 1, max: 0xffff });
const qos = fc.constantFrom<QoS>(0, 1, 2);

/** Properties whose specification forbids values other than 0 and 1, or the value 0. */
const BOOLEAN_BYTES = new Set([0x01, 0x17, 0x19, 0x24, 0x25, 0x28, 0x29, 0x2a]);
const NON_ZERO = new Set([0x21, 0x23, 0x27]);

function valueArbitrary(def: PropertyDefinition, context: number): fc.Arbitrary<unknown> {
  switch (def.kind) {
    case 'byte':
      return BOOLEAN_BYTES.has(def.id) ? fc.constantFrom(0, 1) : fc.integer({ min: 0, max: 0xff });
    case 'twoByteInt':
      return fc.integer({ min: NON_ZERO.has(def.id) ? 1 : 0, max: 0xffff });
    case 'fourByteInt':
      return fc.integer({ min: NON_ZERO.has(def.id) ? 1 : 0, max: 0xffffffff });
    case 'varint':
      return fc.array(fc.integer({ min: 1, max: 268_435_455 }), {
        minLength: 1,
        maxLength: context === PacketType.PUBLISH ? 3 : 1,
      });
    case 'utf8':
      return mqttString();
    case 'binary':
      return buffer(16);
    case 'utf8Pair':
      return fc.array(fc.tuple(mqttString(8), mqttString(8)), { minLength: 1, maxLength: 4 });
  }
}

/** Properties valid in `context` (a packet type or WILL); undefined stands for none. */
export function propertiesArbitrary(context: number): fc.Arbitrary<Properties | undefined> {
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  for (const def of PROPERTIES) {
    if ((def.allowedIn & (1 << context)) !== 0) model[def.name] = valueArbitrary(def, context);
  }
  return fc
    .record(model, { requiredKeys: [] })
    .map((p) => (Object.keys(p).length === 0 ? undefined : ({ ...p } as Properties)));
}

function withProperties<T extends { properties?: Properties }>(
  base: T,
  properties: Properties | undefined,
): T {
  if (properties !== undefined) base.properties = properties;
  return base;
}

function codes(limits: Limits, type: Packet['type']): fc.Arbitrary<number> {
  const allowed = limits.reasonCodes?.[type];
  return allowed ? fc.constantFrom(...allowed) : fc.integer({ min: 0, max: 0xff });
}

function willArbitrary(v: ProtocolVersion): fc.Arbitrary<Will> {
  return fc
    .record({
      topic: topicName,
      payload: buffer(),
      qos,
      retain: fc.boolean(),
      properties: v === 5 ? propertiesArbitrary(WILL) : fc.constant(undefined),
    })
    .map(({ properties, ...will }) => withProperties<Will>(will, properties));
}

function connectArbitrary(v: ProtocolVersion, limits: Limits): fc.Arbitrary<ConnectPacket> {
  return fc
    .record({
      bridge: fc.boolean(),
      clean: fc.boolean(),
      keepalive: u16,
      clientId: mqttString(23),
      will: fc.option(willArbitrary(v), { nil: undefined }),
      username: fc.option(mqttString(), { nil: undefined }),
      password: fc.option(buffer(), { nil: undefined }),
      properties: v === 5 ? propertiesArbitrary(PacketType.CONNECT) : fc.constant(undefined),
    })
    .filter((c) => limits.emptyClientIdWithoutClean !== false || c.clientId !== '' || c.clean)
    .map(({ will, username, password, properties, ...rest }) => {
      const packet: ConnectPacket = {
        type: 'connect',
        protocolName: v === 3 ? 'MQIsdp' : 'MQTT',
        protocolVersion: v,
        ...rest,
      };
      if (will !== undefined) packet.will = will;
      if (username !== undefined) packet.username = username;
      const passwordAllowed = username !== undefined || (v === 5 && limits.passwordWithoutUsername !== false);
      if (password !== undefined && passwordAllowed) packet.password = password;
      return withProperties(packet, properties);
    });
}

function connackArbitrary(v: ProtocolVersion, limits: Limits): fc.Arbitrary<ConnackPacket> {
  return fc
    .record({
      // MQTT 3.1 has no Session Present flag: its CONNACK's first byte is reserved.
      sessionPresent: v === 3 ? fc.constant(false) : fc.boolean(),
      reasonCode: codes(limits, 'connack'),
      properties: v === 5 ? propertiesArbitrary(PacketType.CONNACK) : fc.constant(undefined),
    })
    .map(({ properties, ...rest }) =>
      withProperties<ConnackPacket>({ type: 'connack', ...rest }, properties),
    );
}

function publishArbitrary(v: ProtocolVersion): fc.Arbitrary<PublishPacket> {
  return fc
    .record({
      topic: v === 5 ? fc.oneof({ weight: 9, arbitrary: topicName }, fc.constant('')) : topicName,
      payload: fc.oneof(buffer(64), buffer(300)),
      qos,
      retain: fc.boolean(),
      dup: fc.boolean(),
      packetId,
      properties: v === 5 ? propertiesArbitrary(PacketType.PUBLISH) : fc.constant(undefined),
      alias: fc.integer({ min: 1, max: 0xffff }),
    })
    .map(({ packetId: id, properties, alias, ...rest }) => {
      // A QoS 0 PUBLISH never has DUP set [MQTT-3.3.1-2]. Every key is present, as the decoder
      // gives every PUBLISH one shape.
      const packet: PublishPacket = {
        type: 'publish',
        ...rest,
        dup: rest.dup && rest.qos > 0,
        packetId: rest.qos > 0 ? id : undefined,
        properties,
      };
      // An empty topic name is only valid with a topic alias (MQTT 5.0 3.3.2.3.4).
      if (rest.topic === '' && properties?.topicAlias === undefined) {
        packet.properties = { ...properties, topicAlias: alias };
      }
      return packet;
    });
}

const ACK_CONTEXT = {
  puback: PacketType.PUBACK,
  pubrec: PacketType.PUBREC,
  pubrel: PacketType.PUBREL,
  pubcomp: PacketType.PUBCOMP,
};

function ackArbitrary(v: ProtocolVersion, limits: Limits, type: AckPacket['type']): fc.Arbitrary<AckPacket> {
  return fc
    .record({
      packetId,
      reasonCode: codes(limits, type),
      properties: v === 5 ? propertiesArbitrary(ACK_CONTEXT[type]) : fc.constant(undefined),
    })
    .map(({ packetId: id, reasonCode, properties }) => {
      const packet: AckPacket = { type, packetId: id };
      if (v !== 5) return packet;
      if (properties !== undefined || reasonCode !== 0) packet.reasonCode = reasonCode;
      return withProperties(packet, properties);
    });
}

function subscriptionArbitrary(v: ProtocolVersion): fc.Arbitrary<SubscriptionRequest> {
  return fc
    .record({
      topicFilter,
      qos,
      noLocal: fc.boolean(),
      retainAsPublished: fc.boolean(),
      retainHandling: fc.constantFrom<0 | 1 | 2>(0, 1, 2),
    })
    .map((s) => (v === 5 ? { ...s } : { topicFilter: s.topicFilter, qos: s.qos }));
}

function subscribeArbitrary(v: ProtocolVersion): fc.Arbitrary<SubscribePacket> {
  return fc
    .record({
      packetId,
      subscriptions: fc.array(subscriptionArbitrary(v), { minLength: 1, maxLength: 5 }),
      properties: v === 5 ? propertiesArbitrary(PacketType.SUBSCRIBE) : fc.constant(undefined),
    })
    .map(({ properties, ...rest }) =>
      withProperties<SubscribePacket>({ type: 'subscribe', ...rest }, properties),
    );
}

function subackArbitrary(v: ProtocolVersion, limits: Limits): fc.Arbitrary<SubackPacket> {
  const code = v === 5 ? codes(limits, 'suback') : fc.constantFrom(0, 1, 2, 0x80);
  return fc
    .record({
      packetId,
      reasonCodes: fc.array(code, { minLength: 1, maxLength: 5 }),
      properties: v === 5 ? propertiesArbitrary(PacketType.SUBACK) : fc.constant(undefined),
    })
    .map(({ properties, ...rest }) => withProperties<SubackPacket>({ type: 'suback', ...rest }, properties));
}

function unsubscribeArbitrary(v: ProtocolVersion): fc.Arbitrary<UnsubscribePacket> {
  return fc
    .record({
      packetId,
      topicFilters: fc.array(topicFilter, { minLength: 1, maxLength: 5 }),
      properties: v === 5 ? propertiesArbitrary(PacketType.UNSUBSCRIBE) : fc.constant(undefined),
    })
    .map(({ properties, ...rest }) =>
      withProperties<UnsubscribePacket>({ type: 'unsubscribe', ...rest }, properties),
    );
}

function unsubackArbitrary(v: ProtocolVersion, limits: Limits): fc.Arbitrary<UnsubackPacket> {
  return fc
    .record({
      packetId,
      reasonCodes: fc.array(codes(limits, 'unsuback'), { minLength: 1, maxLength: 5 }),
      properties: propertiesArbitrary(PacketType.UNSUBACK),
    })
    .map(({ packetId: id, reasonCodes, properties }) =>
      v === 5
        ? withProperties<UnsubackPacket>({ type: 'unsuback', packetId: id, reasonCodes }, properties)
        : { type: 'unsuback', packetId: id },
    );
}

function disconnectOrAuthArbitrary<T extends DisconnectPacket | AuthPacket>(
  type: T['type'],
  limits: Limits,
): fc.Arbitrary<T> {
  const context = type === 'auth' ? PacketType.AUTH : PacketType.DISCONNECT;
  return fc
    .record({ reasonCode: codes(limits, type), properties: propertiesArbitrary(context) })
    .map(({ reasonCode, properties }) => withProperties({ type, reasonCode } as T, properties));
}

/** Arbitraries for every packet type valid in `version`, by type. */
export function packetArbitraries(
  version: ProtocolVersion,
  limits: Limits = {},
): Record<Packet['type'], fc.Arbitrary<Packet>> {
  const v5 = version === 5;
  const none = fc.constant<Packet>({ type: 'pingreq' });
  return {
    connect: connectArbitrary(version, limits),
    connack: connackArbitrary(version, limits),
    publish: publishArbitrary(version),
    puback: ackArbitrary(version, limits, 'puback'),
    pubrec: ackArbitrary(version, limits, 'pubrec'),
    pubrel: ackArbitrary(version, limits, 'pubrel'),
    pubcomp: ackArbitrary(version, limits, 'pubcomp'),
    subscribe: subscribeArbitrary(version),
    suback: subackArbitrary(version, limits),
    unsubscribe: unsubscribeArbitrary(version),
    unsuback: unsubackArbitrary(version, limits),
    pingreq: none,
    pingresp: fc.constant<Packet>({ type: 'pingresp' }),
    disconnect: v5
      ? disconnectOrAuthArbitrary<DisconnectPacket>('disconnect', limits)
      : fc.constant<Packet>({ type: 'disconnect' }),
    auth: v5 ? disconnectOrAuthArbitrary<AuthPacket>('auth', limits) : none,
  };
}

/** Packet types to test per version: AUTH exists only in 5.0. */
export function packetTypes(version: ProtocolVersion): Packet['type'][] {
  const all: Packet['type'][] = [
    'connect',
    'connack',
    'publish',
    'puback',
    'pubrec',
    'pubrel',
    'pubcomp',
    'subscribe',
    'suback',
    'unsubscribe',
    'unsuback',
    'pingreq',
    'pingresp',
    'disconnect',
    'auth',
  ];
  return version === 5 ? all : all.filter((t) => t !== 'auth');
}

/** Any valid packet of `version`. */
export function packetArbitrary(version: ProtocolVersion, limits: Limits = {}): fc.Arbitrary<Packet> {
  const arbs = packetArbitraries(version, limits);
  return fc.oneof(...packetTypes(version).map((t) => arbs[t]));
}
