/**
 * `mqx pub --encode FORMAT`: what the user typed or piped (-m, -f, -s, each line of -l) to the wire
 * payload. hex and base64 take their text; cbor, msgpack, protobuf and sparkplug take JSON. Input
 * that is not what the format needs is a UsageError (exit 2), naming what is wrong.
 */
import type { Root } from 'protobufjs';
import { UsageError } from '../errors.js';
import { type BinaryCodec, cborCodec, msgpackCodec } from './binary.js';
import type { EncodeFormat } from './formats.js';
import { protobufCodec } from './protobuf.js';
import { encodeSparkplug } from './sparkplug/encode.js';
import { loadSparkplug } from './sparkplug/proto.js';

export interface EncoderOptions {
  format: EncodeFormat;
  proto?: { root: Root; type: string };
}

export type PayloadEncoder = (input: Buffer) => Buffer;

const utf8 = new TextDecoder('utf-8', { fatal: true });
const reason = (err: unknown) => (err instanceof Error ? err.message : String(err));

function parseJson(input: Buffer, format: string): unknown {
  try {
    return JSON.parse(utf8.decode(input));
  } catch (err) {
    throw new UsageError(`--encode ${format} takes JSON: ${reason(err)}`);
  }
}

function fromHex(input: Buffer): Buffer {
  const digits = input.toString('utf8').replace(/\s+/g, '').replace(/^0x/i, '');
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(digits))
    throw new UsageError('--encode hex takes pairs of hex digits (spaces allowed)');
  return Buffer.from(digits, 'hex');
}

function fromBase64(input: Buffer): Buffer {
  const text = input.toString('utf8').replace(/\s+/g, '');
  if (!/^(?:[A-Za-z0-9+/]*={0,2}|[A-Za-z0-9_-]*={0,2})$/.test(text) || /=[^=]/.test(text))
    throw new UsageError('--encode base64 takes base64 text');
  return Buffer.from(text, /[-_]/.test(text) ? 'base64url' : 'base64');
}

function structured(format: string, encode: (value: unknown) => Uint8Array): PayloadEncoder {
  return (input) => {
    const value = parseJson(input, format);
    try {
      const bytes = encode(value);
      return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    } catch (err) {
      throw new UsageError(`--encode ${format}: ${reason(err)}`);
    }
  };
}

const viaCodec = (format: string, codec: BinaryCodec) => structured(format, (v) => codec.encode(v));

export async function createEncoder(options: EncoderOptions): Promise<PayloadEncoder> {
  switch (options.format) {
    case 'text':
      return (input) => input;
    case 'json':
      return (input) => {
        parseJson(input, 'json');
        return input;
      };
    case 'hex':
      return fromHex;
    case 'base64':
      return fromBase64;
    case 'cbor':
      return viaCodec('cbor', await cborCodec());
    case 'msgpack':
      return viaCodec('msgpack', await msgpackCodec());
    case 'protobuf':
      if (!options.proto) throw new UsageError('--encode protobuf needs --proto FILE and --type pkg.Message');
      return viaCodec('protobuf', protobufCodec(options.proto.root, options.proto.type));
    case 'sparkplug':
      await loadSparkplug();
      return structured('sparkplug', encodeSparkplug);
  }
}
