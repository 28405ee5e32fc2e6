/**
 * The recording format of `mqx record` / `mqx replay`: one JSON object per line, so a recording
 * can be tailed, grepped, cut with head and read by jq. Binary-safe: the payload is UTF-8 text
 * when it decodes as such (`"encoding":"utf8"`), otherwise base64, and the binary properties
 * (Correlation Data, Authentication Data) are base64 too; decoding gives back the same bytes.
 */
import { UsageError } from '../errors.js';
import type { Properties, PublishPacket, QoS } from '../protocol/types.js';

export interface RecordedMessage {
  /** Receive time, milliseconds since the Unix epoch. */
  timeMs: number;
  topic: string;
  payload: Buffer;
  qos: QoS;
  retain: boolean;
  properties?: Properties;
}

const BINARY = new Set(['correlationData', 'authenticationData']);
/** Properties of the recorder's own connection and subscription, meaningless to a replay. */
const CONNECTION_ONLY = new Set(['topicAlias', 'subscriptionIdentifiers']);

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function fromPacket(packet: PublishPacket, timeMs: number): RecordedMessage {
  const message: RecordedMessage = {
    timeMs,
    topic: packet.topic,
    payload: packet.payload,
    qos: packet.qos,
    retain: packet.retain,
  };
  const kept = Object.entries(packet.properties ?? {}).filter(([key]) => !CONNECTION_ONLY.has(key));
  if (kept.length > 0) message.properties = Object.fromEntries(kept) as Properties;
  return message;
}

export function encodeLine(m: RecordedMessage): string {
  let text: string | undefined;
  try {
    text = utf8.decode(m.payload);
  } catch {
    text = undefined;
  }
  const doc: Record<string, unknown> = {
    time: new Date(m.timeMs).toISOString(),
    topic: m.topic,
    qos: m.qos,
    retain: m.retain,
    payload: text ?? m.payload.toString('base64'),
    encoding: text !== undefined ? 'utf8' : 'base64',
  };
  if (m.properties) {
    doc.properties = Object.fromEntries(
      Object.entries(m.properties).map(([k, v]) => [k, BINARY.has(k) ? (v as Buffer).toString('base64') : v]),
    );
  }
  return JSON.stringify(doc);
}

/** `where` names the line in errors (FILE:LINE). */
export function decodeLine(line: string, where: string): RecordedMessage {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(line) as Record<string, unknown>;
  } catch {
    throw new UsageError(`${where}: not a JSON line`);
  }
  const timeMs = typeof doc.time === 'string' ? Date.parse(doc.time) : Number.NaN;
  if (Number.isNaN(timeMs)) throw new UsageError(`${where}: "time" must be an ISO 8601 time`);
  if (typeof doc.topic !== 'string' || doc.topic === '') throw new UsageError(`${where}: "topic" is missing`);
  if (typeof doc.payload !== 'string') throw new UsageError(`${where}: "payload" must be a string`);
  const encoding = doc.encoding ?? 'utf8';
  if (encoding !== 'utf8' && encoding !== 'base64')
    throw new UsageError(`${where}: "encoding" must be utf8 or base64`);
  const qos = doc.qos ?? 0;
  if (qos !== 0 && qos !== 1 && qos !== 2) throw new UsageError(`${where}: "qos" must be 0, 1 or 2`);
  const message: RecordedMessage = {
    timeMs,
    topic: doc.topic,
    payload: Buffer.from(doc.payload, encoding),
    qos,
    retain: doc.retain === true,
  };
  if (typeof doc.properties === 'object' && doc.properties !== null) {
    message.properties = Object.fromEntries(
      Object.entries(doc.properties).map(([k, v]) => [
        k,
        BINARY.has(k) ? Buffer.from(String(v), 'base64') : v,
      ]),
    ) as Properties;
  }
  return message;
}
