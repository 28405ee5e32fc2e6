/**
 * The JSON of mosquitto_sub's %j and %J, field for field: tst (local time with microseconds, in
 * mosquitto's own "…Z+hhmm" spelling), topic, qos, retain (0/1), payloadlen, properties (5.0,
 * mosquitto's kebab-case names, user properties as an object), payload. --pretty prints it as
 * mosquitto does (cJSON: tabs, a tab after each colon).
 */
import { nsToDate, type ReceivedMessage } from './message.js';
import { strftimeConversion, utcOffset } from './time.js';

type Json = string | number | { [key: string]: Json } | RawJson;

/** Already-serialised JSON (the %J payload), inserted as is. */
class RawJson {
  constructor(readonly text: string) {}
}

function render(value: Json, pretty: boolean, depth: number): string {
  if (value instanceof RawJson) return value.text;
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') return String(value);
  const entries = Object.entries(value);
  if (!pretty) return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${render(v, false, 0)}`).join(',')}}`;
  const indent = '\t'.repeat(depth + 1);
  const body = entries
    .map(([k, v]) => `${indent}${JSON.stringify(k)}:\t${render(v, true, depth + 1)}`)
    .join(',\n');
  return `{\n${body}\n${'\t'.repeat(depth)}}`;
}

function timestamp(ns: bigint): string {
  const d = nsToDate(ns);
  const micros = String((ns / 1000n) % 1_000_000n).padStart(6, '0');
  return `${strftimeConversion('F', d)}T${strftimeConversion('T', d)}.${micros}Z${utcOffset(d)}`;
}

function properties(msg: ReceivedMessage): { [key: string]: Json } | undefined {
  const p = msg.properties;
  if (!p) return undefined;
  const out: { [key: string]: Json } = {};
  if (p.userProperties?.length) out['user-properties'] = Object.fromEntries(p.userProperties);
  if (p.contentType !== undefined) out['content-type'] = p.contentType;
  if (p.payloadFormatIndicator !== undefined) out['payload-format-indicator'] = p.payloadFormatIndicator;
  if (p.responseTopic !== undefined) out['response-topic'] = p.responseTopic;
  if (p.correlationData !== undefined) out['correlation-data'] = p.correlationData.toString('utf8');
  if (p.messageExpiryInterval !== undefined) out['message-expiry-interval'] = p.messageExpiryInterval;
  if (p.topicAlias !== undefined) out['topic-alias'] = p.topicAlias;
  if (p.subscriptionIdentifiers?.length) out['subscription-identifier'] = p.subscriptionIdentifiers[0]!;
  return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * %j (payload as a JSON string) or %J (payload inserted as JSON). For %J with a payload that is
 * not JSON it returns undefined; the caller reports it as mosquitto does. A payload --decode read
 * is inserted as its decoded JSON.
 */
export function mosquittoJson(
  msg: ReceivedMessage,
  rawPayload: boolean,
  pretty: boolean,
): string | undefined {
  let payload: Json = msg.payload.toString('utf8');
  if (rawPayload && msg.decoded?.json !== undefined) {
    payload = new RawJson(JSON.stringify(msg.decoded.json));
  } else if (rawPayload) {
    try {
      JSON.parse(payload);
    } catch {
      return undefined;
    }
    payload = new RawJson(payload.trim());
  }
  const doc: { [key: string]: Json } = {
    tst: timestamp(msg.receivedNs),
    topic: msg.topic,
    qos: msg.qos,
    retain: msg.retain ? 1 : 0,
    payloadlen: msg.payload.length,
  };
  const props = properties(msg);
  if (props) doc.properties = props;
  doc.payload = payload;
  return render(doc, pretty, 0);
}
