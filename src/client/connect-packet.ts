/** The CONNECT packet a Client sends, from its options. */
import type { ConnectPacket, Properties, ProtocolVersion } from '../protocol/types.js';
import type { ClientOptions } from './options.js';

export function defaultClientId(): string {
  // ≤ 23 characters so that MQTT 3.1 brokers accept it.
  return `mqx-${process.pid}-${Math.random().toString(16).slice(2, 8)}`;
}

function protocolName(version: ProtocolVersion): string {
  return version === 3 ? 'MQIsdp' : 'MQTT';
}

export function connectPacket(o: ClientOptions, version: ProtocolVersion, clientId: string): ConnectPacket {
  const packet: ConnectPacket = {
    type: 'connect',
    protocolName: protocolName(version),
    protocolVersion: version,
    bridge: (o.bridge ?? false) && version < 5,
    clean: o.clean ?? true,
    keepalive: o.keepalive ?? 60,
    clientId,
  };
  if (o.will) packet.will = o.will;
  if (o.username !== undefined) packet.username = o.username;
  if (o.password !== undefined)
    packet.password = typeof o.password === 'string' ? Buffer.from(o.password) : o.password;
  if (version === 5) {
    const properties: Properties = { ...o.properties };
    if (o.sessionExpiry !== undefined) properties.sessionExpiryInterval = o.sessionExpiry;
    if (Object.keys(properties).length > 0) packet.properties = properties;
  }
  return packet;
}
