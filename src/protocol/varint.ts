/** Largest value of a Variable Byte Integer, and so of a remaining length (MQTT 5.0 section 1.5.5). */
export const MAX_VARINT = 268_435_455;

/** Bytes needed for `n`, which must be at most MAX_VARINT ([MQTT-1.5.5-1]: the minimum number). */
export function varintSize(n: number): number {
  return n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : 4;
}

/** Writes `n` at `pos` and returns the position after it. */
export function writeVarint(buf: Buffer, pos: number, n: number): number {
  while (n >= 0x80) {
    buf[pos++] = (n & 0x7f) | 0x80;
    n >>>= 7;
  }
  buf[pos++] = n;
  return pos;
}
