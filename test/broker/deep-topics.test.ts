/**
 * Topics as deep as MQTT allows: 20,000 levels (`a/a/...`, 39,999 bytes). Every walk of a topic
 * tree (router cache, subscription trie, retained store) must survive them: a recursive walk ran
 * out of JavaScript stack and took the whole broker down with it.
 */
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type InProcessBroker, startBroker } from '../helpers/broker.js';

const DEEP = Array.from({ length: 20_000 }, () => 'a').join('/');
const DEEP_PLUS = `a/+/${DEEP.slice(4)}`;

describe('topics of 20,000 levels', () => {
  let b: InProcessBroker;
  beforeAll(async () => {
    b = await startBroker();
  });
  afterAll(() => b?.stop());

  it('are retained, matched by #, + and exact filters, cleared and unsubscribed, with the broker still up', async () => {
    const url = `mqtt://127.0.0.1:${b.port}`;
    const writer = await mqtt.connectAsync(url, { reconnectPeriod: 0 });
    await writer.publishAsync(DEEP, 'kept', { qos: 1, retain: true });
    expect(b.broker.retained.size).toBe(1);

    const reader = await mqtt.connectAsync(url, { reconnectPeriod: 0 });
    const received: Array<{ topic: string; retained: boolean }> = [];
    reader.on('message', (topic, _payload, packet) => received.push({ topic, retained: packet.retain }));
    await reader.subscribeAsync('#', { qos: 1 });
    await reader.subscribeAsync([DEEP, DEEP_PLUS], { qos: 1 });
    await writer.publishAsync(DEEP, 'live', { qos: 1 });
    await expect.poll(() => received.filter((r) => !r.retained).length).toBeGreaterThanOrEqual(1);
    expect(received.some((r) => r.retained && r.topic === DEEP)).toBe(true);

    // Unsubscribing and a new a/# drop the router's cached plans below them.
    await reader.unsubscribeAsync([DEEP, DEEP_PLUS, '#']);
    await reader.subscribeAsync('a/#', { qos: 0 });
    await writer.publishAsync(DEEP, '', { qos: 1, retain: true });
    expect(b.broker.retained.size).toBe(0);

    await reader.subscribeAsync('still/up');
    const alive = new Promise<string>((resolve) =>
      reader.on('message', (t) => t === 'still/up' && resolve(t)),
    );
    await writer.publishAsync('still/up', 'yes');
    expect(await alive).toBe('still/up');
    await writer.endAsync();
    await reader.endAsync();
  }, 30_000);
});
