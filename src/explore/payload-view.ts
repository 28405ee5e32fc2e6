/**
 * How explore shows a payload: decoded by a codec (src/explore/decoding.ts: Sparkplug, CBOR...),
 * as text, pretty JSON or a hex dump. A message a codec decoded shows that form unless a raw view
 * is forced; otherwise `classify` decides what the payload is. The tree's one-line values and the
 * detail pane follow the same rules. Everything returned is sanitized (src/explore/text.ts): safe
 * to write to a terminal.
 */
import type { Decoded } from './decoding.js';
import { sanitize } from './text.js';

export type PayloadKind = 'text' | 'json' | 'hex';
/**
 * 'auto' shows each payload decoded where a codec read it, else as `classify` judges it; the raw
 * views force one form. 'decoded' shows what auto does: it is the name of that view in the `f`
 * cycle of a message a codec read, where "auto" would say less.
 */
export type PayloadMode = 'auto' | 'decoded' | PayloadKind;

const RAW_VIEWS: PayloadKind[] = ['text', 'json', 'hex'];

/** The view after `mode` (the `f` key), for the selected message. */
export function nextMode(mode: PayloadMode, m: Shown | undefined): PayloadMode {
  const first: PayloadMode = m?.decoded?.text === undefined ? 'auto' : 'decoded';
  const cycle = [first, ...RAW_VIEWS];
  const at = mode === 'auto' || mode === 'decoded' ? 0 : cycle.indexOf(mode);
  return cycle[(at + 1) % cycle.length]!;
}

/** A message as the views see it: the (maybe cut) payload and what a codec made of the whole. */
export interface Shown {
  payload: Buffer;
  decoded?: Decoded;
}

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

/** What a message is shown as in `mode`: 'decoded' or one of the raw views. */
export function shownAs(m: Shown, mode: PayloadMode): PayloadKind | 'decoded' {
  if (mode !== 'auto' && mode !== 'decoded') return mode;
  return m.decoded?.text === undefined ? classify(m.payload) : 'decoded';
}

/** The detail pane's payload lines for a pane `width` cells wide. */
export function payloadLines(m: Shown, mode: PayloadMode, width: number, maxRows = 200): string[] {
  const { payload } = m;
  const kind = shownAs(m, mode);
  if (kind === 'decoded') return m.decoded!.text!.split('\n', maxRows).map(sanitize);
  if (payload.length === 0) return ['(empty)'];
  if (kind === 'hex') return hexDump(payload, width, maxRows);
  const text = asText(payload) ?? payload.toString('latin1');
  const json = kind === 'json' ? parseJson(text) : undefined;
  const shown = json === undefined ? text : JSON.stringify(json, null, 2);
  return shown.split('\n', maxRows).map(sanitize);
}

const oneLine = (text: string) => sanitize(text.replace(/\s*\n\s*/g, ' '));

/** A payload in one line for the tree: decoded where a codec read it, JSON compacted, binary as hex bytes. */
export function payloadPreview(m: Shown): string {
  const decoded = m.decoded?.line ?? m.decoded?.text;
  if (decoded !== undefined) return oneLine(decoded.slice(0, PREVIEW_BYTES));
  const { payload } = m;
  if (payload.length === 0) return '';
  const head = payload.subarray(0, PREVIEW_BYTES);
  const text = asText(payload.length > PREVIEW_BYTES ? trimUtf8(head) : head);
  if (text === undefined || looksBinary(text)) {
    return `0x${head.subarray(0, 32).toString('hex')}${payload.length > 32 ? '…' : ''}`;
  }
  return oneLine(text);
}

/**
 * A Sparkplug B message (its --json form) in one line: its metrics as name=value, which is what a
 * tree row has room for; the message type, node and seq are in the topic and the detail pane.
 * Metrics a BIRTH did not name go by their alias (#7). A host's STATE: online=... and since when.
 */
export function sparkplugLine(json: unknown): string | undefined {
  const doc = json as {
    messageType?: unknown;
    metrics?: unknown;
    online?: unknown;
    timestamp?: unknown;
  } | null;
  if (doc?.messageType === 'STATE' && doc.online !== undefined) {
    const since = typeof doc.timestamp === 'number' ? new Date(doc.timestamp) : undefined;
    const valid = since !== undefined && !Number.isNaN(since.getTime());
    return `online=${JSON.stringify(doc.online)}${valid ? `  timestamp=${since.toISOString()}` : ''}`;
  }
  const metrics = doc?.metrics;
  if (!Array.isArray(metrics) || metrics.length === 0) return undefined;
  return metrics
    .map((m: Record<string, unknown>) => {
      const name = typeof m.name === 'string' ? m.name : `#${String(m.alias)}`;
      // 64-bit values come as strings of digits in the JSON form: they read as numbers.
      const digits = typeof m.value === 'string' && /Int64|DateTime/.test(String(m.datatype));
      return `${name}=${m.value === undefined ? 'null' : digits ? m.value : JSON.stringify(m.value)}`;
    })
    .join('  ');
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
