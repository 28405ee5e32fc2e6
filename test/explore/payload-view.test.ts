import { describe, expect, it } from 'vitest';
import {
  classify,
  hexDump,
  numericValue,
  payloadLines,
  payloadPreview,
} from '../../src/explore/payload-view.js';

const shown = (payload: Buffer) => ({ payload });

describe('payload view', () => {
  it('classifies text, JSON and binary', () => {
    expect(classify(Buffer.from('hello'))).toBe('text');
    expect(classify(Buffer.from(' {"a": 1}'))).toBe('json');
    expect(classify(Buffer.from('42'))).toBe('text');
    expect(classify(Buffer.from([0xff, 0xfe, 0x00]))).toBe('hex');
    expect(classify(Buffer.from('a\x00b'))).toBe('hex');
    // An escape sequence in text is still text (shown escaped).
    expect(classify(Buffer.from('clear \x1b[2J now'))).toBe('text');
  });

  it('pretty-prints JSON, escapes text, and forces a view when asked', () => {
    expect(payloadLines(shown(Buffer.from('{"a":[1,2]}')), 'auto', 40)).toEqual([
      '{',
      '  "a": [',
      '    1,',
      '    2',
      '  ]',
      '}',
    ]);
    expect(payloadLines(shown(Buffer.from('x\x1b[2J\ny')), 'auto', 40)).toEqual(['x\\e[2J', 'y']);
    expect(payloadLines(shown(Buffer.from('{"a":1}')), 'text', 40)).toEqual(['{"a":1}']);
    expect(payloadLines(shown(Buffer.from('AB')), 'hex', 40)).toEqual(['000000  41 42        AB']);
    expect(payloadLines(shown(Buffer.alloc(0)), 'auto', 40)).toEqual(['(empty)']);
  });

  it('hex dump rows fit the width and show only printable ASCII', () => {
    const rows = hexDump(Buffer.from([...Array(40).keys()].map((i) => i + 0x1e)), 41);
    expect(rows[0]).toBe('000000  1e 1f 20 21 22 23 24 25  .. !"#$%');
    expect(rows.every((r) => r.length <= 41)).toBe(true);
    expect(hexDump(Buffer.alloc(8), 40)).toHaveLength(2);
    expect(hexDump(Buffer.alloc(64), 80)[0]!.length).toBe(8 + 16 * 3 - 1 + 2 + 16);
    expect(hexDump(Buffer.alloc(64), 80, 2)).toHaveLength(2);
  });

  it('a preview is one safe line; binary as hex; a cut never splits a character', () => {
    expect(payloadPreview(shown(Buffer.from('{\n  "a": 1\n}')))).toBe('{ "a": 1 }');
    expect(payloadPreview(shown(Buffer.from([0xde, 0xad, 0xbe, 0xef])))).toBe('0xdeadbeef');
    expect(payloadPreview(shown(Buffer.from('\x1b]52;c;aGk=\x07')))).toBe('\\e]52;c;aGk=\\x07');
    const long = Buffer.from(`${'a'.repeat(255)}é and more`);
    expect(payloadPreview(shown(long))).toBe('a'.repeat(255));
  });

  it('finds the number a payload stands for', () => {
    expect(numericValue(Buffer.from('21.5'))).toBe(21.5);
    expect(numericValue(Buffer.from('-3'))).toBe(-3);
    expect(numericValue(Buffer.from('{"unit":"C","temp":19}'))).toBe(19);
    expect(numericValue(Buffer.from('on'))).toBeUndefined();
    expect(numericValue(Buffer.from('1.2.3'))).toBeUndefined();
  });
});
