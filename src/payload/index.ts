/** The payload codecs (pure: bytes and JSON in, bytes and text out), loaded only when a command line asks. */
export { createDecoder, type DecoderOptions, type PayloadDecoder } from './decoder.js';
export { createEncoder, type EncoderOptions, type PayloadEncoder } from './encoder.js';
export { DECODE_FORMATS, type DecodeFormat, ENCODE_FORMATS, type EncodeFormat } from './formats.js';
export { decodeSparkplug } from './sparkplug/decode.js';
export { encodeSparkplug } from './sparkplug/encode.js';
export { loadSparkplug } from './sparkplug/proto.js';
export { toJson, toPeople } from './tree.js';
