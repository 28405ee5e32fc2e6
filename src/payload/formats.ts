/** The payload formats of `mqx pub --encode` and `mqx sub --decode`: names only, cheap to load at start. */
export const ENCODE_FORMATS = [
  'text',
  'json',
  'hex',
  'base64',
  'cbor',
  'msgpack',
  'protobuf',
  'sparkplug',
] as const;
export const DECODE_FORMATS = [...ENCODE_FORMATS, 'auto'] as const;

export type EncodeFormat = (typeof ENCODE_FORMATS)[number];
export type DecodeFormat = (typeof DECODE_FORMATS)[number];
