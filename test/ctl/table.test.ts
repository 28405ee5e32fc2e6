import { describe, expect, it } from 'vitest';
import { formatTable } from '../../src/ctl/table.js';

describe('formatTable', () => {
  const rows = [
    ['sensor-1', true, null],
    ['a\tb\nc', 12, 'x'],
  ];

  it('writes tab-separated rows off a terminal, control characters replaced', () => {
    expect(formatTable(['ID', 'OK', 'USER'], rows, false)).toBe(
      'ID\tOK\tUSER\nsensor-1\ttrue\t-\na?b?c\t12\tx\n',
    );
  });

  it('aligns columns under a bold header on a terminal', () => {
    expect(formatTable(['ID', 'OK', 'USER'], rows, true)).toBe(
      '\x1b[1mID        OK    USER\x1b[0m\nsensor-1  true  -\na?b?c     12    x\n',
    );
  });
});
