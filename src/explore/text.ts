/**
 * Untrusted text made safe and measurable for a terminal cell grid. Topics and payloads come from
 * anyone who can publish: a raw ESC would let them clear the screen (ESC[2J), write the user's
 * clipboard (OSC 52) or plant links (OSC 8), so every control character is shown as an escape
 * (`\e`, `\x07`, `\u{9b}`) and never written as itself. Bidirectional overrides are shown the
 * same way: they would reorder what the user reads.
 */

const NAMED: Record<number, string> = { 27: '\\e', 10: '\\n', 13: '\\r', 9: '\\t' };

function unsafe(cp: number): boolean {
  return (
    cp < 0x20 ||
    (cp >= 0x7f && cp <= 0x9f) ||
    (cp >= 0x202a && cp <= 0x202e) ||
    (cp >= 0x2066 && cp <= 0x2069)
  );
}

function escapeCodePoint(cp: number): string {
  const named = NAMED[cp];
  if (named) return named;
  if (cp < 0x80) return `\\x${cp.toString(16).padStart(2, '0')}`;
  return `\\u{${cp.toString(16)}}`;
}

/** `text` with every control character replaced by a visible escape. */
export function sanitize(text: string): string {
  let out = '';
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const cp = text.charCodeAt(i);
    if (!unsafe(cp)) continue;
    out += text.slice(start, i) + escapeCodePoint(cp);
    start = i + 1;
  }
  return start === 0 ? text : out + text.slice(start);
}

const ZERO_WIDTH = /^[\p{Mn}\p{Me}\p{Cf}]$/u;
const WIDE = /^[\p{Extended_Pictographic}]$/u;

/** Cells one code point takes: 0 for combining marks, 2 for East Asian wide and emoji. */
export function codePointWidth(cp: number): number {
  if (cp < 0x300) return 1;
  const ch = String.fromCodePoint(cp);
  if (ZERO_WIDTH.test(ch)) return 0;
  if (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0xa4cf && cp !== 0x303f) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1faff) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  )
    return 2;
  return WIDE.test(ch) && cp >= 0x1f000 ? 2 : 1;
}

/** Display width of sanitized text (no escape sequences inside). */
export function textWidth(text: string): number {
  let width = 0;
  for (const ch of text) width += codePointWidth(ch.codePointAt(0)!);
  return width;
}

/**
 * Sanitized text cut to at most `width` cells (an ellipsis marks the cut) and padded with spaces
 * to exactly `width`, so a row never wraps however wide its characters are.
 */
export function fitWidth(text: string, width: number): string {
  if (width <= 0) return '';
  const fitted = take(text, width);
  if (fitted.end === text.length) return text + ' '.repeat(width - fitted.used);
  const kept = take(text, width - 1);
  return `${text.slice(0, kept.end)}…${' '.repeat(width - 1 - kept.used)}`;
}

/** How much of `text` fits in `width` cells: the end index and the cells used. */
function take(text: string, width: number): { end: number; used: number } {
  let used = 0;
  let end = 0;
  for (const ch of text) {
    const w = codePointWidth(ch.codePointAt(0)!);
    if (used + w > width) break;
    used += w;
    end += ch.length;
  }
  return { end, used };
}

/** A run of text in one style; `colour` codes apply only on a colour terminal, `attr` always. */
export interface Span {
  text: string;
  colour?: string;
  attr?: string;
}

/**
 * Spans laid into exactly `width` cells: cut where they overflow, padded where they end early
 * (the padding in `fillAttr`, so a selected row is highlighted to its end).
 */
export function line(spans: Span[], width: number, colour: boolean, fillAttr?: string): string {
  let out = '';
  let left = width;
  for (let i = 0; i < spans.length && left > 0; i++) {
    const span = spans[i]!;
    const room = take(span.text, left);
    const cut = room.end < span.text.length;
    const text = cut ? fitWidth(span.text, left) : span.text.slice(0, room.end);
    left -= cut ? left : room.used;
    const codes = [span.attr, colour ? span.colour : undefined].filter(Boolean).join(';');
    out += codes ? `\x1b[${codes}m${text}\x1b[0m` : text;
  }
  if (left <= 0) return out;
  const pad = ' '.repeat(left);
  return out + (fillAttr ? `\x1b[${fillAttr}m${pad}\x1b[0m` : pad);
}
