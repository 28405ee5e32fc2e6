import { ProtocolError } from './errors.js';
import { ReasonCode } from './reason-codes.js';

/*
 * UTF-8 for MQTT strings (3.1.1 section 1.5.3, 5.0 section 1.5.4; statements cited by their 5.0
 * numbers). Most MQTT strings are ASCII topics and identifiers, so each direction first checks
 * for plain ASCII, which needs no transcoding, and uses Buffer's UTF-8 codec only otherwise.
 * Below the crossover lengths (measured on Node 20) a JS loop beats the call overhead of the
 * native alternative: writing bytes vs latin1Write, scanning vs a regular expression, and
 * String.fromCharCode vs latin1Slice.
 */

const SHORT_WRITE = 16;
const SHORT_SCAN = 16;
const SHORT_READ = 8;
/** Anything that is not plain ASCII without U+0000. */
const NOT_PLAIN_ASCII = /[^\x01-\x7f]/;

/**
 * The UTF-8 byte length of `s`. Throws a plain Error for what a peer would have to reject:
 * U+0000 [MQTT-1.5.4-2] and unpaired surrogates, which have no UTF-8 form [MQTT-1.5.4-1].
 */
export function utf8Length(s: string): number {
  const n = s.length;
  if (n > SHORT_SCAN && !NOT_PLAIN_ASCII.test(s)) return n;
  let bytes = n;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) {
      if (c === 0) throw new Error('string contains U+0000, which MQTT forbids');
    } else if (c < 0x800) {
      bytes += 1;
    } else if (c >= 0xd800 && c <= 0xdfff) {
      const next = s.charCodeAt(i + 1);
      if (c > 0xdbff || !(next >= 0xdc00 && next <= 0xdfff)) {
        throw new Error('string contains an unpaired surrogate, which has no UTF-8 form');
      }
      // Two UTF-16 units, four bytes.
      bytes += 2;
      i++;
    } else {
      bytes += 2;
    }
  }
  return bytes;
}

/** Writes `s`, whose UTF-8 length `byteLength` the caller has measured, at `pos`. */
export function writeUtf8(buf: Buffer, pos: number, s: string, byteLength: number): void {
  if (byteLength === s.length) {
    if (byteLength <= SHORT_WRITE) {
      for (let i = 0; i < byteLength; i++) buf[pos + i] = s.charCodeAt(i);
    } else {
      buf.latin1Write(s, pos, byteLength);
    }
  } else {
    buf.utf8Write(s, pos, byteLength);
  }
}

function malformed(message: string, statement: string): ProtocolError {
  return new ProtocolError(message, ReasonCode.MalformedPacket, statement);
}

/**
 * Decodes `buf[start, end)` as an MQTT UTF-8 string. Ill-formed UTF-8 (overlong forms,
 * surrogates, code points above U+10FFFF, truncated sequences) is malformed [MQTT-1.5.4-1], so
 * is U+0000 [MQTT-1.5.4-2]. A BOM is kept, never stripped [MQTT-1.5.4-3]. The control characters
 * and non-characters that the specification only says SHOULD NOT appear are accepted.
 */
export function readUtf8(buf: Buffer, start: number, end: number): string {
  let i = start;
  for (; i < end; i++) {
    const b = buf[i]!;
    if (b >= 0x80) break;
    if (b === 0) throw malformed('string contains U+0000', 'MQTT-1.5.4-2');
  }
  if (i === end) {
    const n = end - start;
    if (n <= SHORT_READ) {
      let s = '';
      for (let j = start; j < end; j++) s += String.fromCharCode(buf[j]!);
      return s;
    }
    return buf.latin1Slice(start, end);
  }
  validateUtf8(buf, i, end);
  return buf.utf8Slice(start, end);
}

function isContinuation(buf: Buffer, i: number, end: number): boolean {
  return i < end && (buf[i]! & 0xc0) === 0x80;
}

function validateUtf8(buf: Buffer, i: number, end: number): void {
  while (i < end) {
    const b = buf[i]!;
    if (b < 0x80) {
      if (b === 0) throw malformed('string contains U+0000', 'MQTT-1.5.4-2');
      i++;
      continue;
    }
    let size: number;
    let min = 0x80;
    let max = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) {
      size = 2;
    } else if (b >= 0xe0 && b <= 0xef) {
      size = 3;
      if (b === 0xe0) min = 0xa0; // overlong
      if (b === 0xed) max = 0x9f; // U+D800..U+DFFF
    } else if (b >= 0xf0 && b <= 0xf4) {
      size = 4;
      if (b === 0xf0) min = 0x90; // overlong
      if (b === 0xf4) max = 0x8f; // above U+10FFFF
    } else {
      throw malformed('string is not well-formed UTF-8', 'MQTT-1.5.4-1');
    }
    const second = i + 1 < end ? buf[i + 1]! : -1;
    if (second < min || second > max) throw malformed('string is not well-formed UTF-8', 'MQTT-1.5.4-1');
    for (let k = 2; k < size; k++) {
      if (!isContinuation(buf, i + k, end)) {
        throw malformed('string is not well-formed UTF-8', 'MQTT-1.5.4-1');
      }
    }
    i += size;
  }
}

declare module 'node:buffer' {
  // Undocumented but long-standing Buffer methods without the argument juggling of
  // toString/write; the codec's hot path calls them once per string.
  interface Buffer {
    latin1Slice(start: number, end: number): string;
    utf8Slice(start: number, end: number): string;
    latin1Write(s: string, offset: number, length: number): number;
    utf8Write(s: string, offset: number, length: number): number;
  }
}

/** U+0001..U+001F and U+007F..U+009F, which strings SHOULD NOT contain (3.1.1 1.5.3, 5.0 1.5.4). */
const CONTROL_CHARACTER = /[\u0001-\u001f\u007f-\u009f]/;

/** True when `s` has a control character: a broker refuses such names as mosquitto does. */
export function hasControlCharacter(s: string): boolean {
  return CONTROL_CHARACTER.test(s);
}
