import { describe, expect, it } from 'vitest';
import { OutboundAliases } from '../../src/client/topic-aliases.js';
import type { PublishPacket } from '../../src/protocol/types.js';

function publish(topic: string, properties?: PublishPacket['properties']): PublishPacket {
  return { type: 'publish', topic, payload: Buffer.from('x'), qos: 1, retain: false, dup: false, properties };
}

describe('outbound topic aliases', () => {
  it('sends topic and alias first, then the alias alone, keeping other properties', () => {
    const aliases = new OutboundAliases();
    aliases.reset(10);
    const first = publish('a/b', { contentType: 'text/plain' });
    expect(aliases.apply(first)).toMatchObject({
      topic: 'a/b',
      properties: { topicAlias: 1, contentType: 'text/plain' },
    });
    expect(aliases.apply(publish('c'))).toMatchObject({ topic: 'c', properties: { topicAlias: 2 } });
    expect(aliases.apply(publish('a/b', { contentType: 'text/plain' }))).toMatchObject({
      topic: '',
      properties: { topicAlias: 1, contentType: 'text/plain' },
    });
    // The packet kept for a resend still names its topic.
    expect(first).toEqual(publish('a/b', { contentType: 'text/plain' }));
  });

  it("assigns no more aliases than the broker's maximum; topics past it go in full", () => {
    const aliases = new OutboundAliases();
    aliases.reset(2);
    aliases.apply(publish('a'));
    aliases.apply(publish('b'));
    expect(aliases.apply(publish('c'))).toEqual(publish('c'));
    expect(aliases.apply(publish('b'))).toMatchObject({ topic: '', properties: { topicAlias: 2 } });
  });

  it('starts afresh on each connection, and does nothing when the broker allows no alias', () => {
    const aliases = new OutboundAliases();
    aliases.reset(5);
    aliases.apply(publish('a'));
    aliases.reset(5);
    expect(aliases.apply(publish('a'))).toMatchObject({ topic: 'a', properties: { topicAlias: 1 } });
    aliases.reset(0);
    expect(aliases.apply(publish('a'))).toEqual(publish('a'));
  });
});
