/**
 * mosquitto -v's packet log: one debug line per packet in each direction, worded exactly as
 * mosquitto 2.0 words them, so the course's QoS 1 and QoS 2 walkthroughs read the same on mqx.
 * Callers check BrokerLog.packets first: when it is off, none of these strings is built.
 */
import type { Packet, QoS, Will } from '../protocol/types.js';

/** Where the lines go (the BrokerLog, debug type); a parameter so the formatting is testable alone. */
export interface PacketLogSink {
  debug(line: string): void;
}

/** What a PUBLISH line shows. */
export interface PublishSummary {
  dup: boolean;
  qos: QoS;
  retain: boolean;
  packetId?: number | undefined;
  topic: string;
  bytes: number;
}

function publishLine(
  verb: 'Received PUBLISH from' | 'Sending PUBLISH to',
  who: string,
  p: PublishSummary,
): string {
  return `${verb} ${who} (d${p.dup ? 1 : 0}, q${p.qos}, r${p.retain ? 1 : 0}, m${p.packetId ?? 0}, '${p.topic}', ... (${p.bytes} bytes))`;
}

/**
 * A packet the broker received from `who`. `aliases` (the connection's inbound topic aliases)
 * resolves a PUBLISH that names its topic by alias only: mosquitto logs the topic it stands for.
 */
export function logReceived(
  sink: PacketLogSink,
  who: string,
  packet: Packet,
  aliases?: ReadonlyMap<number, string>,
): void {
  const log = (line: string) => sink.debug(line);
  switch (packet.type) {
    case 'connect':
      // mosquitto logs the accepted connection ("New client connected ..."), not the packet.
      return;
    case 'publish': {
      const alias = packet.properties?.topicAlias;
      const topic = packet.topic === '' && alias !== undefined ? (aliases?.get(alias) ?? '') : packet.topic;
      log(publishLine('Received PUBLISH from', who, { ...packet, topic, bytes: packet.payload.length }));
      return;
    }
    case 'puback':
    case 'pubcomp':
      log(
        `Received ${packet.type.toUpperCase()} from ${who} (Mid: ${packet.packetId}, RC:${packet.reasonCode ?? 0})`,
      );
      return;
    case 'pubrec':
    case 'pubrel':
      log(`Received ${packet.type.toUpperCase()} from ${who} (Mid: ${packet.packetId})`);
      return;
    case 'unsubscribe':
      log(`Received UNSUBSCRIBE from ${who}`);
      return;
    case 'auth':
      log(`Received AUTH from ${who} (rc${packet.reasonCode ?? 0})`);
      return;
    default:
      log(`Received ${packet.type.toUpperCase()} from ${who}`);
  }
}

/** One filter of a SUBSCRIBE, logged by the handler as it takes it, before the subscribe line. */
export function subscribeFilterLine(filter: string, qos: number): string {
  return `\t${filter} (QoS ${qos})`;
}

/** One filter of an UNSUBSCRIBE, as subscribeFilterLine. */
export function unsubscribeFilterLine(filter: string): string {
  return `\t${filter}`;
}

function willLines(will: Will | undefined): string[] {
  if (will === undefined) return ['No will message specified.'];
  return [
    `Will message specified (${will.payload.length} bytes) (r${will.retain ? 1 : 0}, q${will.qos}).`,
    `\t${will.topic}`,
  ];
}

/** A packet the broker queued for `who`; PUBLISH goes through logSentPublish. */
export function logSent(sink: PacketLogSink, who: string, packet: Packet, will?: Will): void {
  const log = (line: string) => sink.debug(line);
  switch (packet.type) {
    case 'connack':
      // mosquitto reports the will while it accepts the connection, just before its CONNACK.
      if (packet.reasonCode === 0) for (const line of willLines(will)) log(line);
      log(`Sending CONNACK to ${who} (${packet.sessionPresent ? 1 : 0}, ${packet.reasonCode})`);
      return;
    case 'puback':
    case 'pubrec':
      log(
        `Sending ${packet.type.toUpperCase()} to ${who} (m${packet.packetId}, rc${packet.reasonCode ?? 0})`,
      );
      return;
    case 'pubrel':
    case 'pubcomp':
      log(`Sending ${packet.type.toUpperCase()} to ${who} (m${packet.packetId})`);
      return;
    case 'disconnect':
    case 'auth':
      log(`Sending ${packet.type.toUpperCase()} to ${who} (rc${packet.reasonCode ?? 0})`);
      return;
    case 'publish':
      log(publishLine('Sending PUBLISH to', who, { ...packet, bytes: packet.payload.length }));
      return;
    default:
      log(`Sending ${packet.type.toUpperCase()} to ${who}`);
  }
}

/** A PUBLISH the broker queued for `who`, from the parts Connection.sendPublish encodes. */
export function logSentPublish(sink: PacketLogSink, who: string, p: PublishSummary): void {
  sink.debug(publishLine('Sending PUBLISH to', who, p));
}
