/**
 * mqx's own --json: one object per message per line, binary-safe. The payload is UTF-8 text when
 * it decodes as valid UTF-8, otherwise base64 with "encoding":"base64", so bytes survive a
 * round-trip through jq or a log file. With --decode, "format" says what the payload was read as
 * and "decoded" holds it as JSON (absent for plain text, which "payload" already is).
 */
import type { Properties } from '../protocol/types.js';
import { nsToDate, type ReceivedMessage } from './message.js';

const decoder = new TextDecoder('utf-8', { fatal: true });

function utf8(payload: Buffer): string | undefined {
  try {
    return decoder.decode(payload);
  } catch {
    return undefined;
  }
}

/** Properties as JSON: binary ones (correlation data, auth data) in base64, user properties as [key, value] pairs. */
function jsonProperties(p: Properties): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(p)) {
    out[key] = Buffer.isBuffer(value) ? value.toString('base64') : value;
  }
  return out;
}

export function messageJson(msg: ReceivedMessage, pretty: boolean): string {
  const text = utf8(msg.payload);
  const doc: Record<string, unknown> = { topic: msg.topic };
  if (text !== undefined) {
    doc.payload = text;
  } else {
    doc.payload = msg.payload.toString('base64');
    doc.encoding = 'base64';
  }
  if (msg.decoded) {
    doc.format = msg.decoded.format;
    if (msg.decoded.json !== undefined) doc.decoded = msg.decoded.json;
  }
  doc.qos = msg.qos;
  doc.retain = msg.retain;
  doc.received = nsToDate(msg.receivedNs).toISOString();
  if (msg.properties && Object.keys(msg.properties).length > 0)
    doc.properties = jsonProperties(msg.properties);
  return pretty ? JSON.stringify(doc, null, 2) : JSON.stringify(doc);
}

/** The payload bytes of a --json line, for tests and tools that read mqx output back. */
export function payloadOf(doc: { payload: string; encoding?: string }): Buffer {
  return Buffer.from(doc.payload, doc.encoding === 'base64' ? 'base64' : 'utf8');
}
