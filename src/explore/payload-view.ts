/**
 * How explore shows a payload: as text, pretty JSON or a hex dump. `classify` is the one place
 * that decides what a payload is; when the codecs of src/payload/ exist (CBOR, MessagePack,
 * Sparkplug...) it is where they plug in, and the tree's one-line values and the detail pane
 * follow. Everything returned is sanitized (src/explore/text.ts): safe to write to a terminal.
 */
import { sanitize } from './text.js';

export type PayloadKind = 'text' | 'json' | 'hex';
/** 'auto' shows each payload as `classify` judges it; the others force one view. */
export type PayloadMode = 'auto' | PayloadKind;

export const PAYLOAD_MODES: PayloadMode[] = ['auto', 'text', 'json', 'hex'];

/** The tree's one-line value reads only this much of a payload: a 1 MB payload costs no more. */
const PREVIEW_BYTES = 256;

const utf8 = new TextDecoder('utf-8', { fatal: true });

function asText(payload: Buffer): string | undefined {
  try {
    return utf8.decode(payload);
  } catch {
    return undefined;
  }
}

/** Text that is mostly control characters (or holds a NUL) is better read as bytes. */
function looksBinary(text: string): boolean {
  let controls = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0) return true;
    if (c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) controls++;
  }
  return controls * 3 > text.length;
}

function parseJson(text: string): unknown {
  const first = text.trimStart()[0];
  if (first !== '{' && first !== '[') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export function classify(payload: Buffer): PayloadKind {
  const text = asText(payload);
  if (text === undefined || looksBinary(text)) return 'hex';
  return parseJson(text) === undefined ? 'text' : 'json';
}

/** Bytes per hex dump row that fit `width` cells (a row of n takes 4n + 9), a multiple of 4. */
function hexRowBytes(width: number): number {
  return Math.max(4, Math.min(16, Math.floor((width - 9) / 16) * 4));
}

export function hexDump(payload: Buffer, width: number, maxRows = Number.POSITIVE_INFINITY): string[] {
  const n = hexRowBytes(width);
  const lines: string[] = [];
  for (let off = 0; off < payload.length && lines.length < maxRows; off += n) {
    const row = payload.subarray(off, off + n);
    const hex = [...row].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    const ascii = [...row].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    lines.push(`${off.toString(16).padStart(6, '0')}  ${hex.padEnd(n * 3 - 1)}  ${ascii}`);
  }
  return lines;
}

/** The detail pane's payload lines for a pane `width` cells wide. */
export function payloadLines(payload: Buffer, mode: PayloadMode, width: number, maxRows = 200): string[] {
  if (payload.length === 0) return ['(empty)'];
  const kind = mode === 'auto' ? classify(payload) : mode;
  if (kind === 'hex') return hexDump(payload, width, maxRows);
  const text = asText(payload) ?? payload.toString('latin1');
  const json = kind === 'json' ? parseJson(text) : undefined;
  const shown = json === undefined ? text : JSON.stringify(json, null, 2);
  return shown.split('\n', maxRows).map(sanitize);
}

/** A payload in one line for the tree: JSON compacted, binary as hex bytes. */
export function payloadPreview(payload: Buffer): string {
  if (payload.length === 0) return '';
  const head = payload.subarray(0, PREVIEW_BYTES);
  const text = asText(payload.length > PREVIEW_BYTES ? trimUtf8(head) : head);
  if (text === undefined || looksBinary(text)) {
    return `0x${head.subarray(0, 32).toString('hex')}${payload.length > 32 ? '…' : ''}`;
  }
  return sanitize(text.replace(/\s*\n\s*/g, ' '));
}

/** A cut through the middle of a UTF-8 sequence is not a binary payload. */
function trimUtf8(head: Buffer): Buffer {
  const end = head.length;
  for (let back = 1; back <= 4 && end - back >= 0; back++) {
    const b = head[end - back]!;
    if ((b & 0xc0) === 0x80) continue;
    const length = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return length > back ? head.subarray(0, end - back) : head;
  }
  return head;
}

/**
 * A number the payload stands for, for the sparkline: a plain number ("21.5"), or the first
 * numeric field of a small JSON object ({"temp": 21.5}). Long payloads are not parsed.
 */
export function numericValue(payload: Buffer): number | undefined {
  if (payload.length === 0 || payload.length > 256) return undefined;
  const first = payload[0]!;
  if ((first >= 0x30 && first <= 0x39) || first === 0x2d || first === 0x2b || first === 0x2e) {
    const n = Number(payload.toString('latin1'));
    return Number.isFinite(n) ? n : undefined;
  }
  if (first !== 0x7b) return undefined;
  const json = parseJson(payload.toString('utf8'));
  if (typeof json !== 'object' || json === null) return undefined;
  for (const value of Object.values(json))
    if (typeof value === 'number' && Number.isFinite(value)) return value;
  return undefined;
}
