export { Decoder, type DecoderOptions, DecoderRules } from './decoder.js';
export { encode, encodePublishHeader, writePacketId } from './encoder.js';
export { ProtocolError } from './errors.js';
export {
  PROPERTIES,
  type PropertyDefinition,
  type PropertyKind,
  propertyById,
  propertyByName,
} from './properties.js';
export * from './reason-codes.js';
export * from './types.js';
export { MAX_VARINT } from './varint.js';
