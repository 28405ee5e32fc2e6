/**
 * `mqx sub --decode FORMAT`: payload bytes to what is printed. `auto` never guesses from bytes
 * (guessing turned strings and JSON into `{}` in MQTT Explorer): Sparkplug B only on spBv1.0/
 * topics (STATE as its JSON), JSON only when the bytes parse as JSON, text otherwise, hex for
 * bytes that are not UTF-8. A payload that is not in the format asked for is reported on stderr
 * and printed as auto would print it without its topic.
 */
import type { Root } from 'protobufjs';
import type { DecodedPayload } from '../output/message.js';
import { type BinaryCodec, cborCodec, msgpackCodec } from './binary.js';
import type { DecodeFormat } from './formats.js';
import { protobufCodec } from './protobuf.js';
import { decodeSparkplug } from './sparkplug/decode.js';
import { loadSparkplug } from './sparkplug/proto.js';
import { decodeState, parseTopic, SparkplugSession } from './sparkplug/session.js';
import { type Tree, toJson, toPeople } from './tree.js';

export interface DecoderOptions {
  format: DecodeFormat;
  /** Indented JSON for people (a terminal, or --pretty). */
  pretty: boolean;
  warn: (line: string) => void;
  /** For `protobuf`: the parsed .proto and the message type's full name. */
  proto?: { root: Root; type: string };
}

export type PayloadDecoder = (topic: string, payload: Buffer) => DecodedPayload;

const utf8 = new TextDecoder('utf-8', { fatal: true });

function text(payload: Buffer): string | undefined {
  try {
    return utf8.decode(payload);
  } catch {
    return undefined;
  }
}

const reason = (err: unknown) => (err instanceof Error ? err.message : String(err));

export async function createDecoder(options: DecoderOptions): Promise<PayloadDecoder> {
  const { format, pretty, warn } = options;
  const structured = (kind: string, tree: Tree): DecodedPayload => ({
    format: kind,
    text: Buffer.from(toPeople(tree, pretty)),
    json: toJson(tree),
  });
  const hex = (payload: Buffer): DecodedPayload => {
    const h = payload.toString('hex');
    return { format: 'hex', text: Buffer.from(h), json: h };
  };

  const json = (payload: Buffer): DecodedPayload | undefined => {
    const t = text(payload);
    if (t === undefined || t.trim() === '') return undefined;
    let value: unknown;
    try {
      value = JSON.parse(t);
    } catch {
      return undefined;
    }
    // Compact output keeps the sender's own text: `{"a": 1}` and 1e400 print as sent.
    return {
      format: 'json',
      text: pretty ? Buffer.from(JSON.stringify(value, null, 2)) : payload,
      json: value,
    };
  };
  const plain = (payload: Buffer): DecodedPayload => {
    if (text(payload) === undefined) return hex(payload);
    return json(payload) ?? { format: 'text', text: payload };
  };
  const fallback = (topic: string, kind: string, payload: Buffer, err?: unknown): DecodedPayload => {
    warn(`warning: ${topic}: not ${kind}${err === undefined ? '' : ` (${reason(err)})`}`);
    return plain(payload);
  };

  const usesSparkplug = format === 'auto' || format === 'sparkplug';
  if (usesSparkplug) await loadSparkplug();
  const session = new SparkplugSession(warn);
  const sparkplug = (topic: string, payload: Buffer, strict: boolean): DecodedPayload | undefined => {
    const where = parseTopic(topic);
    if (where?.kind === 'state') {
      const state = decodeState(where.host, payload);
      if (state) return structured('sparkplug', state);
      return strict ? fallback(topic, 'a Sparkplug STATE (JSON)', payload) : undefined;
    }
    try {
      if (where) return structured('sparkplug', session.decode(topic, where, payload));
      if (strict) return structured('sparkplug', decodeSparkplug(payload).tree);
    } catch (err) {
      return fallback(topic, 'a Sparkplug B payload', payload, err);
    }
    return undefined;
  };

  const viaCodec = (kind: string, codec: BinaryCodec): PayloadDecoder => {
    return (topic, payload) => {
      try {
        return structured(kind, codec.decode(payload));
      } catch (err) {
        return fallback(topic, kind, payload, err);
      }
    };
  };

  switch (format) {
    case 'auto':
      return (topic, payload) =>
        (topic.startsWith('spBv1.0/') ? sparkplug(topic, payload, false) : undefined) ?? plain(payload);
    case 'sparkplug':
      return (topic, payload) => sparkplug(topic, payload, true)!;
    case 'text':
      return (_topic, payload) => ({ format: 'text', text: payload });
    case 'json':
      return (topic, payload) => json(payload) ?? fallback(topic, 'JSON', payload);
    case 'hex':
      return (_topic, payload) => hex(payload);
    case 'base64':
      return (_topic, payload) => {
        const b = payload.toString('base64');
        return { format: 'base64', text: Buffer.from(b), json: b };
      };
    case 'cbor':
      return viaCodec('cbor', await cborCodec());
    case 'msgpack':
      return viaCodec('msgpack', await msgpackCodec());
    case 'protobuf':
      if (!options.proto) throw new Error('protobuf needs a .proto and a type');
      return viaCodec('protobuf', protobufCodec(options.proto.root, options.proto.type));
  }
}
