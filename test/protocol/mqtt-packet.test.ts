import fc from 'fast-check';
import { generate, parser } from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import {
  type AckPacket,
  Decoder,
  encode,
  type Packet,
  type Properties,
  ProtocolError,
  type ProtocolVersion,
} from '../../src/protocol/index.js';
import { type Limits, packetArbitraries, packetTypes, VERSIONS } from './arbitraries.js';

/*
 * Differential tests against mqtt-packet, an independent codec: for random valid packets both
 * produce the same bytes, and each decodes the other's bytes to the same packet. The adapter
 * below translates between the two models (mqtt-packet's `cmd`, `messageId`, booleans for byte
 * properties, user properties as an object).
 */

// biome-ignore lint/suspicious/noExplicitAny: mqtt-packet's model is loosely typed on purpose.
type MqttObject = any;

/** Byte properties that mqtt-packet models as booleans. */
const BOOLEAN_PROPS = new Set([
  'payloadFormatIndicator',
  'requestProblemInformation',
  'requestResponseInformation',
  'retainAvailable',
  'wildcardSubscriptionAvailable',
  'subscriptionIdentifierAvailable',
  'sharedSubscriptionAvailable',
]);

function propsToMqtt(props: Properties | undefined): MqttObject {
  if (props === undefined) return undefined;
  const out: MqttObject = {};
  for (const [name, value] of Object.entries(props)) {
    if (name === 'subscriptionIdentifiers') {
      const ids = value as number[];
      out.subscriptionIdentifier = ids.length === 1 ? ids[0] : ids;
    } else if (name === 'userProperties') {
      const grouped: MqttObject = Object.create(null);
      for (const [k, v] of value as [string, string][]) {
        if (k in grouped) grouped[k] = [grouped[k]].flat().concat(v);
        else grouped[k] = v;
      }
      out.userProperties = grouped;
    } else if (name === 'subscriptionIdentifierAvailable') {
      out.subscriptionIdentifiersAvailable = value === 1;
    } else {
      out[name] = BOOLEAN_PROPS.has(name) ? value === 1 : value;
    }
  }
  return out;
}

function propsFromMqtt(props: MqttObject): Properties | undefined {
  if (props === undefined) return undefined;
  const out: MqttObject = {};
  for (const [name, value] of Object.entries(props as object)) {
    if (name === 'subscriptionIdentifier') {
      out.subscriptionIdentifiers = [value].flat();
    } else if (name === 'userProperties') {
      out.userProperties = Object.entries(value as object).flatMap(([k, v]) =>
        [v].flat().map((item) => [k, item]),
      );
    } else if (name === 'subscriptionIdentifiersAvailable') {
      out.subscriptionIdentifierAvailable = value ? 1 : 0;
    } else {
      out[name] = BOOLEAN_PROPS.has(name) ? (value ? 1 : 0) : value;
    }
  }
  return out;
}

function withProps<T extends object>(target: T, props: Properties | undefined): T {
  if (props !== undefined) (target as { properties?: Properties }).properties = props;
  return target;
}

function toMqtt(p: Packet, version: ProtocolVersion): MqttObject {
  const properties = propsToMqtt(p.type === 'pingreq' || p.type === 'pingresp' ? undefined : p.properties);
  switch (p.type) {
    case 'connect': {
      const out: MqttObject = {
        cmd: 'connect',
        protocolId: p.protocolName,
        protocolVersion: p.protocolVersion,
        bridgeMode: p.bridge,
        clean: p.clean,
        keepalive: p.keepalive,
        clientId: p.clientId,
        properties,
      };
      if (p.will) out.will = { ...p.will, properties: propsToMqtt(p.will.properties) };
      if (p.username !== undefined) out.username = p.username;
      if (p.password !== undefined) out.password = p.password;
      return out;
    }
    case 'connack':
      return version === 5
        ? { cmd: 'connack', sessionPresent: p.sessionPresent, reasonCode: p.reasonCode, properties }
        : { cmd: 'connack', sessionPresent: p.sessionPresent, returnCode: p.reasonCode };
    case 'publish':
      return {
        cmd: 'publish',
        topic: p.topic,
        payload: p.payload,
        qos: p.qos,
        retain: p.retain,
        dup: p.dup,
        messageId: p.packetId,
        properties,
      };
    case 'puback':
    case 'pubrec':
    case 'pubrel':
    case 'pubcomp':
      return { cmd: p.type, messageId: p.packetId, reasonCode: p.reasonCode ?? 0, properties };
    case 'subscribe':
      return {
        cmd: 'subscribe',
        messageId: p.packetId,
        properties,
        subscriptions: p.subscriptions.map((s) => ({
          topic: s.topicFilter,
          qos: s.qos,
          nl: s.noLocal,
          rap: s.retainAsPublished,
          rh: s.retainHandling,
        })),
      };
    case 'suback':
      return { cmd: 'suback', messageId: p.packetId, granted: p.reasonCodes, properties };
    case 'unsubscribe':
      return { cmd: 'unsubscribe', messageId: p.packetId, unsubscriptions: p.topicFilters, properties };
    case 'unsuback':
      return { cmd: 'unsuback', messageId: p.packetId, granted: p.reasonCodes, properties };
    case 'pingreq':
    case 'pingresp':
      return { cmd: p.type };
    case 'disconnect':
    case 'auth':
      return { cmd: p.type, reasonCode: p.reasonCode, properties };
  }
}

function fromMqtt(m: MqttObject, version: ProtocolVersion): Packet {
  const properties = propsFromMqtt(m.properties);
  const v5 = version === 5;
  switch (m.cmd) {
    case 'connect': {
      const out: Packet = {
        type: 'connect',
        protocolName: m.protocolId,
        protocolVersion: m.protocolVersion,
        bridge: m.bridgeMode === true,
        clean: m.clean,
        keepalive: m.keepalive,
        clientId: m.clientId,
      };
      withProps(out, properties);
      if (m.will) {
        out.will = withProps(
          { topic: m.will.topic, payload: m.will.payload, qos: m.will.qos, retain: m.will.retain },
          propsFromMqtt(m.will.properties),
        );
      }
      if (m.username !== undefined) out.username = m.username;
      if (m.password !== undefined) out.password = m.password;
      return out;
    }
    case 'connack':
      return withProps(
        { type: 'connack', sessionPresent: m.sessionPresent, reasonCode: v5 ? m.reasonCode : m.returnCode },
        properties,
      );
    case 'publish': {
      const out: Packet = {
        type: 'publish',
        topic: m.topic,
        payload: m.payload,
        qos: m.qos,
        retain: m.retain,
        dup: m.dup,
        packetId: m.qos > 0 ? m.messageId : undefined,
        properties,
      };
      return out;
    }
    case 'puback':
    case 'pubrec':
    case 'pubrel':
    case 'pubcomp': {
      const out: AckPacket = { type: m.cmd, packetId: m.messageId };
      if (v5 && (properties !== undefined || m.reasonCode !== 0)) out.reasonCode = m.reasonCode;
      return withProps(out, properties);
    }
    case 'subscribe':
      return withProps(
        {
          type: 'subscribe',
          packetId: m.messageId,
          subscriptions: m.subscriptions.map((s: MqttObject) =>
            v5
              ? {
                  topicFilter: s.topic,
                  qos: s.qos,
                  noLocal: s.nl,
                  retainAsPublished: s.rap,
                  retainHandling: s.rh,
                }
              : { topicFilter: s.topic, qos: s.qos },
          ),
        },
        properties,
      );
    case 'suback':
      return withProps({ type: 'suback', packetId: m.messageId, reasonCodes: m.granted }, properties);
    case 'unsubscribe':
      return withProps(
        { type: 'unsubscribe', packetId: m.messageId, topicFilters: m.unsubscriptions },
        properties,
      );
    case 'unsuback':
      return v5
        ? withProps({ type: 'unsuback', packetId: m.messageId, reasonCodes: m.granted }, properties)
        : { type: 'unsuback', packetId: m.messageId };
    case 'disconnect':
    case 'auth':
      return v5 ? withProps({ type: m.cmd, reasonCode: m.reasonCode }, properties) : { type: m.cmd };
    default:
      return { type: m.cmd };
  }
}

function mqttParse(bytes: Buffer, version: ProtocolVersion): MqttObject[] {
  const p = parser({ protocolVersion: version });
  const out: MqttObject[] = [];
  const errors: Error[] = [];
  p.on('packet', (packet: MqttObject) => out.push(packet));
  p.on('error', (e: Error) => errors.push(e));
  p.parse(bytes);
  if (errors.length > 0) throw errors[0];
  return out;
}

function ourDecode(bytes: Buffer, version: ProtocolVersion): Packet[] {
  const out: Packet[] = [];
  new Decoder((p) => out.push(p), { protocolVersion: version }).push(bytes);
  return out;
}

/** The reason codes each 5.0 packet may carry (MQTT 5.0 tables in 3.4.2.1 ... 3.15.2.1), which mqtt-packet enforces. */
const SPEC_REASON_CODES: Limits['reasonCodes'] = {
  puback: [0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99],
  pubrec: [0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99],
  pubrel: [0x00, 0x92],
  pubcomp: [0x00, 0x92],
  suback: [0x00, 0x01, 0x02, 0x80, 0x83, 0x87, 0x8f, 0x91, 0x97, 0x9e, 0xa1, 0xa2],
  unsuback: [0x00, 0x11, 0x80, 0x83, 0x87, 0x8f, 0x91],
  disconnect: [
    0x00, 0x04, 0x80, 0x81, 0x82, 0x83, 0x87, 0x89, 0x8b, 0x8d, 0x8e, 0x8f, 0x90, 0x93, 0x94, 0x95, 0x96,
    0x97, 0x98, 0x99, 0x9a, 0x9b, 0x9c, 0x9d, 0x9e, 0x9f, 0xa0, 0xa1, 0xa2,
  ],
  auth: [0x00, 0x18, 0x19],
};

const LIMITS: Limits = {
  reasonCodes: SPEC_REASON_CODES,
  emptyClientIdWithoutClean: false,
  passwordWithoutUsername: false,
};

/** A name JavaScript orders before all others among an object's keys. */
const ARRAY_INDEX = /^(0|[1-9][0-9]{0,8})$/;

/**
 * Packets mqtt-packet can represent faithfully: user properties grouped by name and without
 * integer-like names (its object model reorders them otherwise), no repeated user property whose
 * first value is empty (its parser drops it), no bridge flag in 5.0 (it writes level 3 then), and
 * a client id in 3.1 (which the 3.1 specification requires). The discrepancies are pinned below.
 */
function representable(p: Packet, version: ProtocolVersion): boolean {
  if (p.type === 'connect' && version === 3 && p.clientId === '') return false;
  if (p.type === 'connect' && version === 5 && p.bridge) return false;
  const lists = [p.type === 'pingreq' || p.type === 'pingresp' ? undefined : p.properties];
  if (p.type === 'connect') lists.push(p.will?.properties);
  for (const props of lists) {
    const pairs = props?.userProperties;
    if (!pairs) continue;
    const seen = new Map<string, number>();
    for (const [i, [k, v]] of pairs.entries()) {
      const first = seen.get(k);
      if (ARRAY_INDEX.test(k)) return false;
      if (first === undefined) {
        seen.set(k, i);
        if (v === '' && pairs.slice(i + 1).some(([k2]) => k2 === k)) return false;
      } else if (pairs.slice(first, i).some(([k2]) => k2 !== k)) {
        return false;
      }
    }
  }
  return true;
}

/**
 * A 5.0 acknowledgement with a reason code and no properties, which mqx sends in the short form
 * of MQTT 5.0 3.4.2.1 (no property length) and mqtt-packet with a zero property length.
 */
function shortAck(p: Packet, version: ProtocolVersion): boolean {
  const ack = p.type === 'puback' || p.type === 'pubrec' || p.type === 'pubrel' || p.type === 'pubcomp';
  return ack && version === 5 && (p.reasonCode ?? 0) !== 0 && p.properties === undefined;
}

describe('differential: same bytes as mqtt-packet, and each decodes the other', () => {
  for (const version of VERSIONS) {
    const arbs = packetArbitraries(version, LIMITS);
    for (const type of packetTypes(version)) {
      it(`${type} in level ${version}`, () => {
        fc.assert(
          fc.property(
            arbs[type].filter((p) => representable(p, version)),
            (packet) => {
              const ours = encode(packet, version);
              const theirs = generate(toMqtt(packet, version), { protocolVersion: version });
              if (!shortAck(packet, version)) expect(ours.toString('hex')).toBe(theirs.toString('hex'));
              expect(ourDecode(theirs, version)).toStrictEqual([packet]);
              const parsed = mqttParse(ours, version);
              expect(parsed.map((m) => fromMqtt(m, version))).toStrictEqual([packet]);
            },
          ),
          { numRuns: 120 },
        );
      });
    }
  }
});

/*
 * Where mqtt-packet and the specification part ways. Each test pins mqtt-packet's current
 * behaviour next to ours, so a change in either shows up here.
 */
describe('documented mqtt-packet discrepancies', () => {
  const connect5 = (extra: Partial<Packet>): Packet =>
    ({
      type: 'connect',
      protocolName: 'MQTT',
      protocolVersion: 5,
      bridge: false,
      clean: true,
      keepalive: 0,
      clientId: 'c',
      ...extra,
    }) as Packet;

  it('[MQTT 5.0 3.1.2.9] a password without a user name is valid in 5.0; mqtt-packet refuses to generate it', () => {
    const packet = connect5({ password: Buffer.from('p') });
    expect(ourDecode(encode(packet, 5), 5)).toStrictEqual([packet]);
    expect(() => generate(toMqtt(packet, 5), { protocolVersion: 5 })).toThrow(/Username is required/);
  });

  it('[MQTT 5.0 3.4.2.1] an acknowledgement with a reason code and no properties: mqx leaves out the property length, mqtt-packet writes 0', () => {
    const packet: Packet = { type: 'puback', packetId: 7, reasonCode: 0x10 };
    expect(encode(packet, 5).toString('hex')).toBe('40030007' + '10');
    expect(generate(toMqtt(packet, 5), { protocolVersion: 5 }).toString('hex')).toBe('40040007' + '1000');
    expect(mqttParse(encode(packet, 5), 5).map((m) => fromMqtt(m, 5))).toStrictEqual([packet]);
  });

  it('[MQTT 5.0 3.1.3.1] an empty client id with Clean Start 0 is valid in 5.0; mqtt-packet refuses it', () => {
    const packet = connect5({ clientId: '', clean: false });
    expect(ourDecode(encode(packet, 5), 5)).toStrictEqual([packet]);
    expect(() => generate(toMqtt(packet, 5), { protocolVersion: 5 })).toThrow(/clientId must be given/);
  });

  it('[MQTT 5.0 3.3.2.3.7] repeated user properties keep order and duplicates; mqtt-packet drops one whose first value is empty', () => {
    const packet: Packet = {
      type: 'publish',
      topic: 't',
      payload: Buffer.alloc(0),
      qos: 0,
      retain: false,
      dup: false,
      packetId: undefined,
      properties: {
        userProperties: [
          ['k', ''],
          ['k', 'v'],
        ],
      },
    };
    const bytes = encode(packet, 5);
    expect(ourDecode(bytes, 5)).toStrictEqual([packet]);
    expect(mqttParse(bytes, 5)[0].properties.userProperties).toEqual({ k: 'v' });
  });

  it('[MQTT 5.0 3.3.2.3.7] user properties keep their order; mqtt-packet moves integer-like names first', () => {
    const packet: Packet = {
      type: 'puback',
      packetId: 1,
      reasonCode: 0,
      properties: {
        userProperties: [
          ['b', '1'],
          ['7', '2'],
        ],
      },
    };
    const theirs = generate(toMqtt(packet, 5), { protocolVersion: 5 });
    expect(ourDecode(theirs, 5)[0]).toMatchObject({
      properties: {
        userProperties: [
          ['7', '2'],
          ['b', '1'],
        ],
      },
    });
    expect(ourDecode(encode(packet, 5), 5)).toStrictEqual([packet]);
  });

  it('[mosquitto try_private] a 5.0 bridge CONNECT keeps level 5 with bit 0x80; mqtt-packet writes level 3', () => {
    const packet = connect5({ bridge: true });
    expect(encode(packet, 5)[8]).toBe(0x85);
    expect(generate(toMqtt(packet, 5), { protocolVersion: 5 })[8]).toBe(0x03);
  });

  it('[MQTT-3.3.2-2] a PUBLISH topic with a wildcard is malformed; mqtt-packet accepts it', () => {
    const bytes = Buffer.from([0x30, 0x05, 0x00, 0x03, 0x61, 0x2f, 0x2b]);
    expect(() => ourDecode(bytes, 4)).toThrow(ProtocolError);
    expect(mqttParse(bytes, 4)[0].topic).toBe('a/+');
  });

  it('[MQTT-1.5.4-2] U+0000 in a string is malformed; mqtt-packet accepts it', () => {
    const bytes = Buffer.from([0x30, 0x04, 0x00, 0x02, 0x61, 0x00]);
    expect(() => ourDecode(bytes, 4)).toThrow(ProtocolError);
    expect(mqttParse(bytes, 4)[0].topic).toBe('a\0');
  });

  it('[MQTT-1.5.4-1] ill-formed UTF-8 is malformed; mqtt-packet replaces it with U+FFFD', () => {
    const bytes = Buffer.from([0x30, 0x04, 0x00, 0x02, 0xed, 0xa0]);
    expect(() => ourDecode(bytes, 4)).toThrow(ProtocolError);
    expect(mqttParse(bytes, 4)[0].topic).toContain('\ufffd');
  });

  it('[MQTT-2.3.1-1] packet identifier 0 is malformed; mqtt-packet accepts it', () => {
    const bytes = Buffer.from([0x40, 0x02, 0x00, 0x00]);
    expect(() => ourDecode(bytes, 4)).toThrow(ProtocolError);
    expect(mqttParse(bytes, 4)[0].messageId).toBe(0);
  });

  it('[3.1.1 section 3.4.1] a 3.1.1 PUBACK longer than 2 bytes is malformed; mqtt-packet ignores the extra bytes', () => {
    const bytes = Buffer.from([0x40, 0x03, 0x00, 0x01, 0x00]);
    expect(() => ourDecode(bytes, 4)).toThrow(ProtocolError);
    expect(mqttParse(bytes, 4)[0].messageId).toBe(1);
  });

  it('[MQTT 5.0 3.14.2.1] a 5.0 DISCONNECT of remaining length 0 followed by another packet: mqtt-packet reads the next packet as its reason code', () => {
    const bytes = Buffer.from([0xe0, 0x00, 0xc0, 0x00]);
    expect(ourDecode(bytes, 5)).toStrictEqual([{ type: 'disconnect' }, { type: 'pingreq' }]);
    expect(() => mqttParse(bytes, 5)).toThrow();
  });

  it('[MQTT 5.0 2.2.2.2] a property not valid for the packet is malformed; mqtt-packet accepts Topic Alias in a PUBACK', () => {
    const bytes = Buffer.from([0x40, 0x07, 0x00, 0x01, 0x00, 0x03, 0x23, 0x00, 0x01]);
    expect(() => ourDecode(bytes, 5)).toThrow(ProtocolError);
    expect(mqttParse(bytes, 5)[0].properties).toEqual({ topicAlias: 1 });
  });
});
