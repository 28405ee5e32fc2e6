/**
 * The MQTT packet model shared by every layer of mqx. One discriminated union over `type`;
 * fields that only exist in MQTT 5.0 are optional and ignored when encoding for 3.1 / 3.1.1.
 */

/** Protocol level byte of CONNECT: 3 = MQTT 3.1, 4 = MQTT 3.1.1, 5 = MQTT 5.0. */
export type ProtocolVersion = 3 | 4 | 5;

export type QoS = 0 | 1 | 2;

export const PacketType = {
  CONNECT: 1,
  CONNACK: 2,
  PUBLISH: 3,
  PUBACK: 4,
  PUBREC: 5,
  PUBREL: 6,
  PUBCOMP: 7,
  SUBSCRIBE: 8,
  SUBACK: 9,
  UNSUBSCRIBE: 10,
  UNSUBACK: 11,
  PINGREQ: 12,
  PINGRESP: 13,
  DISCONNECT: 14,
  AUTH: 15,
} as const;

export type PacketTypeName = keyof typeof PacketType;

/**
 * MQTT 5.0 properties (section 2.2.2.2). Every property is optional; names follow the
 * specification in camelCase. `subscriptionIdentifiers` is a list because a PUBLISH sent to a
 * client may carry several; a SUBSCRIBE carries at most one.
 */
export interface Properties {
  payloadFormatIndicator?: number;
  messageExpiryInterval?: number;
  contentType?: string;
  responseTopic?: string;
  correlationData?: Buffer;
  subscriptionIdentifiers?: number[];
  sessionExpiryInterval?: number;
  assignedClientIdentifier?: string;
  serverKeepAlive?: number;
  authenticationMethod?: string;
  authenticationData?: Buffer;
  requestProblemInformation?: number;
  willDelayInterval?: number;
  requestResponseInformation?: number;
  responseInformation?: string;
  serverReference?: string;
  reasonString?: string;
  receiveMaximum?: number;
  topicAliasMaximum?: number;
  topicAlias?: number;
  maximumQoS?: number;
  retainAvailable?: number;
  /** In order, duplicates allowed (MQTT 5.0 3.1.2.11.8). */
  userProperties?: Array<[string, string]>;
  maximumPacketSize?: number;
  wildcardSubscriptionAvailable?: number;
  subscriptionIdentifierAvailable?: number;
  sharedSubscriptionAvailable?: number;
}

export interface Will {
  topic: string;
  payload: Buffer;
  qos: QoS;
  retain: boolean;
  /** MQTT 5.0 will properties. */
  properties?: Properties;
}

export interface ConnectPacket {
  type: 'connect';
  /** 'MQIsdp' for 3.1, 'MQTT' for 3.1.1 and 5.0. */
  protocolName: string;
  protocolVersion: ProtocolVersion;
  /** Bit 0x80 of the protocol level byte: a bridge announcing itself (mosquitto try_private). */
  bridge: boolean;
  clean: boolean;
  keepalive: number;
  clientId: string;
  will?: Will;
  username?: string;
  password?: Buffer;
  properties?: Properties;
}

export interface ConnackPacket {
  type: 'connack';
  sessionPresent: boolean;
  /** 3.1/3.1.1 return code or 5.0 reason code. */
  reasonCode: number;
  properties?: Properties;
}

export interface PublishPacket {
  type: 'publish';
  topic: string;
  /** Never copied by the decoder when the packet arrived in one chunk; shared by every receiver. */
  payload: Buffer;
  qos: QoS;
  retain: boolean;
  dup: boolean;
  /** Defined exactly when qos > 0. */
  packetId?: number | undefined;
  properties?: Properties | undefined;
}

/** PUBACK, PUBREC, PUBREL and PUBCOMP share one shape. */
export interface AckPacket {
  type: 'puback' | 'pubrec' | 'pubrel' | 'pubcomp';
  packetId: number;
  /** MQTT 5.0 only; 0 (success) when absent. */
  reasonCode?: number;
  properties?: Properties;
}

export interface SubscriptionRequest {
  topicFilter: string;
  qos: QoS;
  /** MQTT 5.0 subscription options; false / 0 when absent. */
  noLocal?: boolean;
  retainAsPublished?: boolean;
  retainHandling?: 0 | 1 | 2;
}

export interface SubscribePacket {
  type: 'subscribe';
  packetId: number;
  subscriptions: SubscriptionRequest[];
  properties?: Properties;
}

export interface SubackPacket {
  type: 'suback';
  packetId: number;
  /** Granted QoS (0, 1, 2) or a failure code (0x80 in 3.1.1, any >= 0x80 in 5.0). */
  reasonCodes: number[];
  properties?: Properties;
}

export interface UnsubscribePacket {
  type: 'unsubscribe';
  packetId: number;
  topicFilters: string[];
  properties?: Properties;
}

export interface UnsubackPacket {
  type: 'unsuback';
  packetId: number;
  /** MQTT 5.0 only: one reason code per topic filter. */
  reasonCodes?: number[];
  properties?: Properties;
}

export interface PingreqPacket {
  type: 'pingreq';
}

export interface PingrespPacket {
  type: 'pingresp';
}

export interface DisconnectPacket {
  type: 'disconnect';
  /** MQTT 5.0 only; 0 (normal disconnection) when absent. */
  reasonCode?: number;
  properties?: Properties;
}

export interface AuthPacket {
  type: 'auth';
  reasonCode?: number;
  properties?: Properties;
}

export type Packet =
  | ConnectPacket
  | ConnackPacket
  | PublishPacket
  | AckPacket
  | SubscribePacket
  | SubackPacket
  | UnsubscribePacket
  | UnsubackPacket
  | PingreqPacket
  | PingrespPacket
  | DisconnectPacket
  | AuthPacket;
