import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { encode, PacketType, type Properties } from '../../src/protocol/index.js';
import {
  encodeProperties,
  PROPERTIES,
  propertiesLength,
  propertiesSize,
  WILL,
} from '../../src/protocol/properties.js';

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

/** MQTT 5.0 section 2.2.2.2, table 2-4, transcribed independently of src/protocol/properties.ts. */
const SPEC: Array<[number, string, number[]]> = [
  [0x01, 'payloadFormatIndicator', [PUBLISH, WILL]],
  [0x02, 'messageExpiryInterval', [PUBLISH, WILL]],
  [0x03, 'contentType', [PUBLISH, WILL]],
  [0x08, 'responseTopic', [PUBLISH, WILL]],
  [0x09, 'correlationData', [PUBLISH, WILL]],
  [0x0b, 'subscriptionIdentifiers', [PUBLISH, SUBSCRIBE]],
  [0x11, 'sessionExpiryInterval', [CONNECT, CONNACK, DISCONNECT]],
  [0x12, 'assignedClientIdentifier', [CONNACK]],
  [0x13, 'serverKeepAlive', [CONNACK]],
  [0x15, 'authenticationMethod', [CONNECT, CONNACK, AUTH]],
  [0x16, 'authenticationData', [CONNECT, CONNACK, AUTH]],
  [0x17, 'requestProblemInformation', [CONNECT]],
  [0x18, 'willDelayInterval', [WILL]],
  [0x19, 'requestResponseInformation', [CONNECT]],
  [0x1a, 'responseInformation', [CONNACK]],
  [0x1c, 'serverReference', [CONNACK, DISCONNECT]],
  [0x1f, 'reasonString', [CONNACK, PUBACK, PUBREC, PUBREL, PUBCOMP, SUBACK, UNSUBACK, DISCONNECT, AUTH]],
  [0x21, 'receiveMaximum', [CONNECT, CONNACK]],
  [0x22, 'topicAliasMaximum', [CONNECT, CONNACK]],
  [0x23, 'topicAlias', [PUBLISH]],
  [0x24, 'maximumQoS', [CONNACK]],
  [0x25, 'retainAvailable', [CONNACK]],
  [
    0x26,
    'userProperties',
    [
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
    ],
  ],
  [0x27, 'maximumPacketSize', [CONNECT, CONNACK]],
  [0x28, 'wildcardSubscriptionAvailable', [CONNACK]],
  [0x29, 'subscriptionIdentifierAvailable', [CONNACK]],
  [0x2a, 'sharedSubscriptionAvailable', [CONNACK]],
];

describe('property table', () => {
  it('matches MQTT 5.0 table 2-4: identifiers, names and the packets that may carry each', () => {
    const ours = PROPERTIES.map((d) => [
      d.id,
      d.name,
      [WILL, ...Object.values(PacketType)]
        .filter((c) => (d.allowedIn & (1 << c)) !== 0)
        .sort((a, b) => a - b),
    ]);
    expect(ours).toEqual(SPEC.map(([id, name, where]) => [id, name, [...where].sort((a, b) => a - b)]));
  });

  it('agrees with mqtt-packet on every identifier and data type', () => {
    const require = createRequire(import.meta.url);
    const constants = require('mqtt-packet/constants.js') as {
      properties: Record<string, number>;
      propertiesTypes: Record<string, string>;
    };
    const theirKind: Record<string, string> = {
      byte: 'byte',
      int8: 'byte',
      int16: 'twoByteInt',
      int32: 'fourByteInt',
      var: 'varint',
      string: 'utf8',
      binary: 'binary',
      pair: 'utf8Pair',
    };
    const theirs = Object.entries(constants.properties)
      .map(([name, id]) => [id, theirKind[constants.propertiesTypes[name]!]])
      .sort((a, b) => (a[0] as number) - (b[0] as number));
    expect(PROPERTIES.map((d) => [d.id, d.kind])).toEqual(theirs);
  });
});

describe('encoding properties', () => {
  it('writes the length prefix then each property in the order given, user properties in order', () => {
    const props: Properties = {
      userProperties: [
        ['a', 'b'],
        ['a', 'c'],
      ],
      messageExpiryInterval: 0x01020304,
      subscriptionIdentifiers: [200],
    };
    const length = propertiesLength(props, PUBLISH);
    const buf = Buffer.alloc(propertiesSize(length));
    expect(encodeProperties(buf, 0, props, length)).toBe(buf.length);
    expect([...buf]).toEqual([
      22,
      ...[0x26, 0, 1, 0x61, 0, 1, 0x62],
      ...[0x26, 0, 1, 0x61, 0, 1, 0x63],
      ...[0x02, 1, 2, 3, 4],
      ...[0x0b, 0xc8, 0x01],
    ]);
  });

  it('skips properties whose value is undefined', () => {
    expect(propertiesLength({ contentType: undefined, topicAlias: 1 }, PUBLISH)).toBe(3);
  });

  const refusals: Array<[string, Properties, number]> = [
    ['a property not allowed in the packet', { topicAlias: 1 }, CONNECT],
    ['a will-only property outside the will', { willDelayInterval: 1 }, CONNECT],
    ['Receive Maximum 0', { receiveMaximum: 0 }, CONNECT],
    ['Maximum QoS 2', { maximumQoS: 2 }, CONNACK],
    ['two Subscription Identifiers in SUBSCRIBE', { subscriptionIdentifiers: [1, 2] }, SUBSCRIBE],
    ['a two-byte integer out of range', { serverKeepAlive: 70_000 }, CONNACK],
    ['a four-byte integer out of range', { sessionExpiryInterval: 2 ** 32 }, CONNECT],
    ['a non-integer', { messageExpiryInterval: 1.5 }, PUBLISH],
    ['a Subscription Identifier above 268,435,455', { subscriptionIdentifiers: [268_435_456] }, PUBLISH],
    ['binary data over 65,535 bytes', { correlationData: Buffer.alloc(65_536) }, PUBLISH],
    ['an unknown property', { colour: 'red' } as Properties, PUBLISH],
  ];
  for (const [name, props, context] of refusals) {
    it(`refuses ${name} with a plain Error`, () => {
      expect(() => propertiesLength(props, context)).toThrow(Error);
    });
  }

  it('are dropped when encoding for 3.1.1', () => {
    const packet = {
      type: 'puback',
      packetId: 1,
      reasonCode: 0x10,
      properties: { reasonString: 'x' },
    } as const;
    expect([...encode(packet, 4)]).toEqual([0x40, 2, 0, 1]);
    expect([...encode(packet, 5)]).toEqual([0x40, 8, 0, 1, 0x10, 4, 0x1f, 0, 1, 0x78]);
  });
});
