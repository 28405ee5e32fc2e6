import { utf8Length, writeUtf8 } from './utf8.js';

/**
 * The fixed-size and length-prefixed fields of MQTT (section 1.5) as the encoders write them:
 * sizes first, so a packet's buffer is allocated once, then writers that return the position
 * after the field. Sizes throw a plain Error for what does not fit, since that is a caller's bug.
 */

export const MAX_U16 = 0xffff;

/** Size of a UTF-8 string field: two length bytes and the encoded string. */
export function stringSize(s: string): number {
  const n = utf8Length(s);
  if (n > MAX_U16) throw new Error(`string of ${n} bytes does not fit an MQTT string (65,535 bytes)`);
  return 2 + n;
}

/** Size of a binary data field: two length bytes and the data. */
export function binarySize(b: Buffer): number {
  if (b.length > MAX_U16) throw new Error(`binary of ${b.length} bytes does not fit MQTT binary data`);
  return 2 + b.length;
}

export function writeU16(buf: Buffer, pos: number, n: number): number {
  buf[pos] = n >>> 8;
  buf[pos + 1] = n & 0xff;
  return pos + 2;
}

/** Writes `s`, whose stringSize is `size`. */
export function writeString(buf: Buffer, pos: number, s: string, size: number): number {
  writeU16(buf, pos, size - 2);
  writeUtf8(buf, pos + 2, s, size - 2);
  return pos + size;
}

export function writeBinary(buf: Buffer, pos: number, b: Buffer): number {
  pos = writeU16(buf, pos, b.length);
  b.copy(buf, pos);
  return pos + b.length;
}
