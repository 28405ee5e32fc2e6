/**
 * What a BridgeConfig means for the connections it makes, with mosquitto's defaults: client ids,
 * the notification topic, and the options of the Client that dials the remote broker.
 */
import { hostname } from 'node:os';
import type { ClientOptions } from '../client/index.js';
import type { BridgeConfig } from '../config/broker-config.js';
import type { ProtocolVersion } from '../protocol/types.js';
import type { DialOptions } from '../transport/dial.js';
import { BRIDGE_PROPERTY } from './hop-guard.js';

/**
 * QoS 1/2 publishes in flight to a broker at once. A 3.1.1 broker cannot say how many it takes, and
 * mosquitto refuses (and drops) QoS 2 beyond its max_inflight_messages, 20 by default, so a bridge
 * stays within that; a 5.0 broker's Receive Maximum lowers it further.
 */
export const BRIDGE_INFLIGHT = 20;

/** 0xFFFFFFFF: a session that never expires (the broker's own constant, without importing the broker). */
export const NEVER_EXPIRES = 0xffffffff;

/** mosquitto 2.0's default remote client id is `<hostname>.<connection name>`. */
export function remoteClientId(bridge: BridgeConfig): string {
  return bridge.remoteClientId ?? `${hostname()}.${bridge.name}`;
}

/** mosquitto's default local client id: `local.<remote client id>`. */
export function localClientId(bridge: BridgeConfig): string {
  return bridge.localClientId ?? `local.${remoteClientId(bridge)}`;
}

/** Retained 1/0 on this topic says whether the bridge is up. */
export function notificationTopic(bridge: BridgeConfig): string {
  return bridge.notificationTopic ?? `$SYS/broker/connection/${remoteClientId(bridge)}/state`;
}

export function protocolVersionOf(bridge: BridgeConfig): ProtocolVersion {
  return bridge.protocolVersion === 'mqttv50' ? 5 : bridge.protocolVersion === 'mqttv31' ? 3 : 4;
}

/** local_cleansession falls back to cleansession, as in mosquitto. */
export function localCleanSession(bridge: BridgeConfig): boolean {
  return bridge.localCleanSession ?? bridge.cleanSession;
}

/**
 * bridge_max_packet_size (0: no limit): whether a PUBLISH of this topic and payload to the remote
 * would be larger, its headers counted at their most.
 */
export function exceedsMaxPacketSize(bridge: BridgeConfig, topic: string, payload: Buffer): boolean {
  return bridge.maxPacketSize > 0 && payload.length + Buffer.byteLength(topic) + 16 > bridge.maxPacketSize;
}

/** Where to dial one of the bridge's addresses, with the bridge's TLS settings. */
export function dialTarget(bridge: BridgeConfig, address: { host: string; port: number }): DialOptions {
  const tls = bridge.tls;
  if (tls === undefined) return { scheme: 'mqtt', host: address.host, port: address.port };
  return {
    scheme: 'mqtts',
    host: address.host,
    port: address.port,
    tls: {
      cafile: tls.cafile,
      capath: tls.capath,
      cert: tls.certfile,
      key: tls.keyfile,
      insecure: tls.insecure,
      tlsVersion: tls.tlsVersion,
    },
  };
}

/**
 * The remote side's Client options, without the broker address (the link picks it per attempt).
 * A 3.1/3.1.1 bridge sets the protocol level's 0x80 bit (try_private) so the remote treats it as a
 * bridge and does not echo its messages; a 5.0 bridge uses No Local on its subscriptions instead.
 * The will publishes notification state 0 on the remote when the link dies.
 */
export function remoteClientOptions(bridge: BridgeConfig): Omit<ClientOptions, 'broker'> {
  const version = protocolVersionOf(bridge);
  const options: Omit<ClientOptions, 'broker'> = {
    protocolVersion: version,
    clientId: remoteClientId(bridge),
    clean: bridge.cleanSession,
    keepalive: bridge.keepaliveInterval,
    bridge: version < 5 && bridge.tryPrivate,
    maxInflight: BRIDGE_INFLIGHT,
  };
  if (bridge.remoteUsername !== undefined) options.username = bridge.remoteUsername;
  if (bridge.remotePassword !== undefined) options.password = bridge.remotePassword;
  if (bridge.notifications && !bridge.notificationsLocalOnly) {
    options.will = { topic: notificationTopic(bridge), payload: Buffer.from('0'), qos: 1, retain: true };
  }
  if (version === 5) {
    options.sessionExpiry = bridge.sessionExpiryInterval ?? (bridge.cleanSession ? 0 : NEVER_EXPIRES);
    const properties: NonNullable<ClientOptions['properties']> = {};
    if (bridge.receiveMaximum !== undefined) properties.receiveMaximum = bridge.receiveMaximum;
    if (bridge.maxPacketSize > 0) properties.maximumPacketSize = bridge.maxPacketSize;
    // Tells an mqx remote to stamp what it sends us with the ids of multi-hop loop prevention.
    properties.userProperties = [[BRIDGE_PROPERTY, '1']];
    options.properties = properties;
  }
  return options;
}
