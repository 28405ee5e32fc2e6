/**
 * Packets the load generator sends, built with the shared codec once and then copied and patched
 * per message: a PUBLISH template with the offsets of its packet id and payload stamp, and
 * four-byte acknowledgements whose packet id sits at bytes 2-3.
 */
import type { ClientOptions } from '../client/options.js';
import { encode, encodePublishHeader } from '../protocol/encoder.js';
import type { ConnectPacket, Properties, ProtocolVersion, QoS } from '../protocol/types.js';
import { blankPayload, stampPayload } from './payload.js';

export class PublishTemplate {
  readonly packet: Buffer;
  readonly length: number;
  private readonly packetIdOffset: number;
  private readonly payloadOffset: number;

  constructor(
    topic: string,
    payloadSize: number,
    qos: QoS,
    retain: boolean,
    version: ProtocolVersion,
    properties?: Properties,
  ) {
    const payload = blankPayload(payloadSize);
    const { header, packetIdOffset } = encodePublishHeader(
      {
        type: 'publish',
        topic,
        payload,
        qos,
        retain,
        dup: false,
        ...(qos > 0 ? { packetId: 1 } : {}),
        properties,
      },
      version,
    );
    this.packet = Buffer.concat([header, payload]);
    this.length = this.packet.length;
    this.packetIdOffset = packetIdOffset;
    this.payloadOffset = header.length;
  }

  /** Copies the template to `at` of `batch` and patches packet id (ignored at QoS 0) and stamp. */
  writeInto(
    batch: Buffer,
    at: number,
    packetId: number,
    publisher: number,
    seq: number,
    sentAt: number,
  ): void {
    this.packet.copy(batch, at);
    if (this.packetIdOffset >= 0) {
      batch[at + this.packetIdOffset] = packetId >>> 8;
      batch[at + this.packetIdOffset + 1] = packetId & 0xff;
    }
    stampPayload(batch, at + this.payloadOffset, publisher, seq, sentAt);
  }
}

export type AckType = 'puback' | 'pubrec' | 'pubrel' | 'pubcomp';

/** Success acknowledgements of `version`; all are four bytes, the id at offset 2. */
export function ackTemplates(version: ProtocolVersion): Record<AckType, Buffer> {
  const make = (type: AckType) => encode({ type, packetId: 1 }, version);
  return { puback: make('puback'), pubrec: make('pubrec'), pubrel: make('pubrel'), pubcomp: make('pubcomp') };
}

export function connectPacket(options: ClientOptions, clientId: string): Buffer {
  const version = options.protocolVersion ?? 4;
  const packet: ConnectPacket = {
    type: 'connect',
    protocolName: version === 3 ? 'MQIsdp' : 'MQTT',
    protocolVersion: version,
    bridge: false,
    clean: options.clean ?? true,
    keepalive: options.keepalive ?? 60,
    clientId,
  };
  if (options.will) packet.will = options.will;
  if (options.username !== undefined) packet.username = options.username;
  if (options.password !== undefined) packet.password = Buffer.from(options.password);
  if (version === 5) {
    const properties: Properties = { ...options.properties };
    if (options.sessionExpiry !== undefined) properties.sessionExpiryInterval = options.sessionExpiry;
    if (Object.keys(properties).length > 0) packet.properties = properties;
  }
  return encode(packet, version);
}
