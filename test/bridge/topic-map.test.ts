import { describe, expect, it } from 'vitest';
import { TopicMap } from '../../src/bridge/topic-map.js';
import { parseTopicTokens } from '../../src/config/bridge-rules.js';

const map = (...rules: string[]) => new TopicMap(rules.map((r) => parseTopicTokens('test', r.split(' '))));

describe('TopicMap (mosquitto semantics)', () => {
  it('subscribes to prefix + pattern on each side, by direction', () => {
    const m = map('srv/# out 2', 'cmd/# in 1 L/ R/', 'chat/+ both 0 "" R/');
    expect(m.localSubscriptions()).toEqual([
      { filter: 'srv/#', qos: 2 },
      { filter: 'chat/+', qos: 0 },
    ]);
    expect(m.remoteSubscriptions()).toEqual([
      { filter: 'R/cmd/#', qos: 1 },
      { filter: 'R/chat/+', qos: 0 },
    ]);
    expect(m.outOnlyRemoteFilters()).toEqual(['srv/#']);
  });

  it('strips one prefix and adds the other, as the man page table says', () => {
    const m = map('topic out 0 L/ R/', 'x/# both 1 "" R/', 'y/# in 2 L/ ""');
    expect(m.toRemote('L/topic')).toEqual({ rule: 0, topic: 'R/topic', qos: 0 });
    expect(m.toRemote('x/a/b')).toEqual({ rule: 1, topic: 'R/x/a/b', qos: 1 });
    expect(m.toLocal('R/x/a')).toEqual({ rule: 1, topic: 'x/a', qos: 1 });
    expect(m.toLocal('y/z')).toEqual({ rule: 2, topic: 'L/y/z', qos: 2 });
    expect(m.toRemote('y/z')).toBeUndefined();
    expect(m.toLocal('L/topic')).toBeUndefined();
  });

  it('remaps exactly one topic with an empty pattern', () => {
    const m = map('"" both 1 local/status remote/site1/status');
    expect(m.toRemote('local/status')?.topic).toBe('remote/site1/status');
    expect(m.toLocal('remote/site1/status')?.topic).toBe('local/status');
    expect(m.toRemote('local/status/x')).toBeUndefined();
  });

  it('the first matching rule decides', () => {
    const m = map('a/# out 0 "" one/', 'a/b out 2 "" two/');
    expect(m.toRemote('a/b')).toEqual({ rule: 0, topic: 'one/a/b', qos: 0 });
  });

  it('does not let a leading wildcard take $SYS topics', () => {
    expect(map('# both 0').toRemote('$SYS/broker/uptime')).toBeUndefined();
  });
});

describe('wildcard-anchored remapping (beyond mosquitto)', () => {
  it('carries what # matched, and drops + levels the destination does not have', () => {
    const m = map('"" in 1 site1/# +/sensors/#');
    expect(m.remoteSubscriptions()).toEqual([{ filter: '+/sensors/#', qos: 1 }]);
    expect(m.toLocal('room9/sensors/temp/ceiling')?.topic).toBe('site1/temp/ceiling');
    expect(m.toLocal('room9/sensors')?.topic).toBe('site1');
    expect(m.toLocal('room9/actuators/x')).toBeUndefined();
  });

  it('carries + levels one for one, both ways', () => {
    const m = map('"" both 2 plant/+/line/+ factory/+/+/state');
    expect(m.toRemote('plant/a/line/7')?.topic).toBe('factory/a/7/state');
    expect(m.toLocal('factory/b/3/state')?.topic).toBe('plant/b/line/3');
  });
});
