/**
 * CBOR (RFC 8949, through cbor-x) and MessagePack (through @msgpack/msgpack): decoded to a Tree,
 * encoded from JSON. Integers beyond 2^53 stay exact (bigint); maps with keys that are not
 * strings get their keys as strings; byte strings print as base64, CBOR times as ISO 8601.
 */
import { exactInteger, setKey, type Tree, type TreeObject } from './tree.js';

export interface BinaryCodec {
  decode(bytes: Uint8Array): Tree;
  encode(value: unknown): Uint8Array;
}

function fromJs(v: unknown): Tree {
  if (typeof v === 'bigint') return exactInteger(v);
  if (v === undefined) return null;
  if (v === null || typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return v;
  if (v instanceof Uint8Array) return v;
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v.toISOString();
  if (Array.isArray(v) || v instanceof Set) return [...v].map(fromJs);
  const out: TreeObject = {};
  const entries = v instanceof Map ? [...v.entries()] : Object.entries(v as object);
  for (const [key, value] of entries) setKey(out, String(key), fromJs(value));
  return out;
}

export async function cborCodec(): Promise<BinaryCodec> {
  const { Decoder, Encoder } = await import('cbor-x');
  // Plain RFC 8949 both ways: no cbor-x record or structure extensions, which other decoders lack;
  // map lengths in their shortest form; floats as float64, so every decoder reads the same number.
  // Maps decode as Map: as objects, cbor-x renames a `__proto__` key to `__proto_`.
  const decoder = new Decoder({ useRecords: false, mapsAsObjects: false });
  const encoder = new Encoder({ useRecords: false, mapsAsObjects: true, variableMapSize: true });
  return { decode: (bytes) => fromJs(decoder.decode(bytes)), encode: (value) => encoder.encode(value) };
}

export async function msgpackCodec(): Promise<BinaryCodec> {
  const { decode, encode } = await import('@msgpack/msgpack');
  return {
    decode: (bytes) => fromJs(decode(bytes, { useBigInt64: true })),
    encode: (value) => encode(value),
  };
}
