/**
 * Any protobuf message type of the user's .proto, through protobufjs: decoded to protobuf's JSON
 * mapping (lowerCamelCase names, 64-bit integers and enums as strings, bytes base64), encoded from
 * the same JSON.
 */
import type { NamespaceBase, Root, Type } from 'protobufjs';
import type { BinaryCodec } from './binary.js';

export class ProtoTypeError extends Error {}

/** Every message type of a .proto by full name, for the error naming a --type it lacks. */
function messageTypes(ns: NamespaceBase): string[] {
  return ns.nestedArray.flatMap((item) => {
    const own = 'fields' in item ? [item.fullName.replace(/^\./, '')] : [];
    return 'nestedArray' in item ? [...own, ...messageTypes(item as NamespaceBase)] : own;
  });
}

export function protobufCodec(root: Root, typeName: string): BinaryCodec {
  let type: Type;
  try {
    type = root.lookupType(typeName);
  } catch {
    const known = messageTypes(root).join(', ') || 'none';
    throw new ProtoTypeError(`no message type ${typeName} in the .proto (it has: ${known})`);
  }
  return {
    decode: (bytes) =>
      type.toObject(type.decode(bytes), {
        longs: String,
        enums: String,
        bytes: String,
        defaults: false,
      }) as never,
    encode: (value) => {
      if (typeof value !== 'object' || value === null || Array.isArray(value))
        throw new ProtoTypeError(`a ${typeName} is a JSON object`);
      // fromObject is protobufjs's JSON reader: decimal strings for 64-bit fields, enum names, base64 bytes.
      return type.encode(type.fromObject(value as Record<string, unknown>)).finish();
    },
  };
}
