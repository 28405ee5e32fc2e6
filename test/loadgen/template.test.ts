import { describe, expect, it } from 'vitest';
import { expandTopic } from '../../src/loadgen/template.js';

describe('expandTopic', () => {
  it('replaces %i with the client index and %c with the client id', () => {
    expect(expandTopic('bench/%i', 7, 'pub-7')).toBe('bench/7');
    expect(expandTopic('devices/%c/temp', 0, 'mqx-bench-1-p0')).toBe('devices/mqx-bench-1-p0/temp');
    expect(expandTopic('%c/%i/%i', 3, 'x')).toBe('x/3/3');
  });

  it('keeps a literal percent as %% and leaves other sequences alone', () => {
    expect(expandTopic('load/100%%/%i', 1, 'x')).toBe('load/100%/1');
    expect(expandTopic('a/%d/%', 1, 'x')).toBe('a/%d/%');
  });

  it('leaves a topic without placeholders unchanged', () => {
    expect(expandTopic('bench/fan', 49, 'x')).toBe('bench/fan');
  });
});
