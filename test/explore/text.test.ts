import { describe, expect, it } from 'vitest';
import { codePointWidth, fitWidth, line, sanitize, textWidth } from '../../src/explore/text.js';

describe('sanitize', () => {
  it('shows every control character as an escape, never as itself', () => {
    const hostile = 'a\x1b[2Jb\x1b]52;c;aGk=\x07c\x1b]8;;http://x\x1b\\d\x9b31m\re\u202ef';
    const safe = sanitize(hostile);
    expect(safe).toBe('a\\e[2Jb\\e]52;c;aGk=\\x07c\\e]8;;http://x\\e\\d\\u{9b}31m\\re\\u{202e}f');
    // Nothing a terminal would act on is left: no C0, DEL or C1 character.
    expect(/[\x00-\x1f\x7f-\x9f]/.test(safe)).toBe(false);
  });

  it('leaves ordinary text (and its identity) alone', () => {
    const text = 'temp 21.5 °C — ok 温度';
    expect(sanitize(text)).toBe(text);
  });
});

describe('widths', () => {
  it('counts wide, zero-width and ordinary code points', () => {
    expect(codePointWidth('a'.codePointAt(0)!)).toBe(1);
    expect(codePointWidth('温'.codePointAt(0)!)).toBe(2);
    expect(codePointWidth('😀'.codePointAt(0)!)).toBe(2);
    expect(codePointWidth(0x301)).toBe(0);
    expect(textWidth('a温😀e\u0301')).toBe(6);
  });

  it('fitWidth cuts with an ellipsis and pads to the exact width, wide characters included', () => {
    expect(fitWidth('abc', 5)).toBe('abc  ');
    expect(fitWidth('abcdef', 4)).toBe('abc…');
    expect(fitWidth('温度温度', 5)).toBe('温度…');
    expect(textWidth(fitWidth('温度温度', 4))).toBe(4);
    expect(fitWidth('x', 0)).toBe('');
  });

  it('line lays styled spans into exactly the width', () => {
    const l = line(
      [
        { text: 'ab', attr: '7' },
        { text: 'cdef', colour: '32' },
      ],
      4,
      true,
    );
    expect(l).toBe('\x1b[7mab\x1b[0m\x1b[32mc…\x1b[0m');
    expect(line([{ text: 'ab', colour: '32' }], 4, false)).toBe('ab  ');
    expect(line([{ text: 'ab', attr: '7' }], 4, false, '7')).toBe('\x1b[7mab\x1b[0m\x1b[7m  \x1b[0m');
  });
});
