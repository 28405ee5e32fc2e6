import { describe, expect, it } from 'vitest';
import { parseTopicTokens } from '../../src/config/bridge-rules.js';
import { checkTopology, type GraphBridge, type Topology } from '../../src/lab/graph.js';

const bridge = (name: string, from: string, to: string, ...rules: string[]): GraphBridge => ({
  name,
  from,
  to,
  rules: rules.map((r) => parseTopicTokens('test', r.split(' '))),
});

const topology = (bridges: GraphBridge[], extra: Partial<Topology> = {}): Topology => ({
  brokers: [...new Set(bridges.flatMap((b) => [b.from, b.to]))],
  bridges,
  publishers: [],
  subscribers: [],
  ...extra,
});

const kinds = (t: Topology) => checkTopology(t).map((f) => f.kind);

describe('checkTopology', () => {
  it('finds the cycle and the duplicate path of a triangle of both rules, naming brokers and rules', () => {
    const findings = checkTopology(
      topology([
        bridge('ab', 'a', 'b', 'lab/# both 1'),
        bridge('bc', 'b', 'c', 'lab/# both 1'),
        bridge('ca', 'c', 'a', 'lab/# both 1'),
      ]),
    );
    const cycle = findings.find((f) => f.kind === 'cycle');
    expect(cycle?.message).toMatch(/a -> b -> c -> a|b -> c -> a -> b|c -> a -> b -> c/);
    expect(cycle?.message).toContain('ab "lab/# both 1"');
    expect(findings.find((f) => f.kind === 'duplicate')?.message).toMatch(/reaches \w twice/);
  });

  it('passes a chain and a tree (the course challenge)', () => {
    expect(
      kinds(topology([bridge('ab', 'a', 'b', 'lab/# both 1'), bridge('bc', 'b', 'c', 'lab/# both 1')])),
    ).toEqual([]);
    expect(
      kinds(
        topology([
          bridge('b1', 'bridge1', 'central', 'srv/# both 2'),
          bridge('b2', 'bridge2', 'bridge3', 'srv/# both 2'),
          bridge('b3', 'bridge3', 'central', 'srv/# both 2'),
        ]),
      ),
    ).toEqual([]);
  });

  it('takes the two directions of one both rule for one link, but two bridges each way for a cycle', () => {
    expect(kinds(topology([bridge('ab', 'a', 'b', '# both 0')]))).toEqual([]);
    expect(kinds(topology([bridge('ab', 'a', 'b', '# out 0'), bridge('ba', 'b', 'a', '# out 0')]))).toContain(
      'cycle',
    );
  });

  it('follows topics: rules whose topics do not meet make no cycle', () => {
    const t = topology([
      bridge('ab', 'a', 'b', 'x/# out 0'),
      bridge('bc', 'b', 'c', 'y/# out 0'),
      bridge('ca', 'c', 'a', 'z/# out 0'),
    ]);
    expect(kinds(t)).toEqual([]);
  });

  it('finds two bridges between the same brokers carrying the same topics as a duplicate', () => {
    expect(
      kinds(topology([bridge('one', 'a', 'b', 's/# out 0'), bridge('two', 'a', 'b', 's/# out 0')])),
    ).toContain('duplicate');
  });

  it('finds a subscriber no publisher reaches and a rule no publisher crosses', () => {
    const t = topology([bridge('ab', 'a', 'b', 'srv/# out 0'), bridge('ac', 'a', 'c', 'other/# out 0')], {
      publishers: [{ name: 'p', broker: 'a', topic: 'srv/t' }],
      subscribers: [
        { name: 'ok', broker: 'b', filters: ['srv/#'] },
        { name: 'lost', broker: 'c', filters: ['srv/#'] },
      ],
    });
    const findings = checkTopology(t);
    expect(findings.filter((f) => f.kind === 'unreachable').map((f) => f.message)).toEqual([
      "unreachable subscriber: lost on c (srv/#): no publisher's message reaches it",
    ]);
    expect(findings.find((f) => f.kind === 'never-matches')?.message).toContain(
      'bridge ac (a -> c) "other/# out 0"',
    );
  });

  it('finds a prefix glued to its pattern (no trailing slash)', () => {
    const findings = checkTopology(topology([bridge('ab', 'a', 'b', 'sensors/# in 0 local/ remote')]));
    expect(findings.map((f) => f.message)).toEqual([
      `rule never matches as meant: bridge ab "sensors/# in 0 local/ remote": prefix 'remote' has no trailing '/', so the filter is 'remotesensors/#'`,
    ]);
  });

  it('follows remapped topics through prefixes', () => {
    // a's s/x becomes b's site/s/x, which b's rule carries back to a as s/x: a cycle through two bridges.
    const t = topology([
      bridge('ab', 'a', 'b', 's/# out 0 "" site/'),
      bridge('ba', 'b', 'a', 's/# out 0 site/ ""'),
    ]);
    expect(kinds(t)).toContain('cycle');
  });
});
