import { describe, expect, it } from 'vitest';
import { Directory, directoryEntry, parseDirectoryEntry } from '../../src/cluster/directory.js';

describe('cluster directory', () => {
  it('names the other nodes a topic reaches, plain and per share group', () => {
    const d = new Directory('me');
    d.add('a', directoryEntry('', 'x/#'));
    d.add('b', directoryEntry('', 'x/+'));
    d.add('b', directoryEntry('g', 'x/#'));
    d.add('c', directoryEntry('g', 'x/#'));
    d.add('me', directoryEntry('', 'x/#'));
    const t = d.match('x/1')!;
    expect([...t.plain].sort()).toEqual(['a', 'b']);
    expect([...t.shared]).toEqual([[directoryEntry('g', 'x/#'), ['b', 'c']]]);
    expect(d.match('y')).toBeUndefined();
  });

  it('forgets entries and whole nodes', () => {
    const d = new Directory('me');
    d.add('a', directoryEntry('', 'x'));
    d.add('a', directoryEntry('', 'y'));
    d.remove('a', directoryEntry('', 'x'));
    expect(d.match('x')).toBeUndefined();
    expect(d.match('y')).toBeDefined();
    d.dropNode('a');
    expect(d.match('y')).toBeUndefined();
    expect(d.nodes).toEqual([]);
  });

  it('entries round-trip', () => {
    expect(parseDirectoryEntry(directoryEntry('g', 'a/+/b'))).toEqual({ group: 'g', filter: 'a/+/b' });
    expect(parseDirectoryEntry(directoryEntry('', '#'))).toEqual({ group: '', filter: '#' });
  });
});
