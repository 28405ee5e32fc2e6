import { describe, expect, it } from 'vitest';
import type { ClientOptions } from '../../src/client/options.js';
import { UsageError } from '../../src/errors.js';
import { failed, loadOptions } from '../../src/loadgen/options.js';

const conn: ClientOptions = { broker: { scheme: 'mqtt', host: '127.0.0.1', port: 1883 } };

describe('bench loadOptions', () => {
  it('takes the one template as the filter for sub and as the topic for pub', () => {
    expect(loadOptions('sub', { qos: 0, topic: 'a/+' }, conn).filter).toBe('a/+');
    expect(loadOptions('pub', { qos: 0, topic: 'a/%i' }, conn).topic).toBe('a/%i');
  });

  it('spreads --rate over the publishers and turns --message-interval into a rate', () => {
    expect(loadOptions('pub', { qos: 0, clients: 4, rate: 1000 }, conn).ratePerClient).toBe(250);
    expect(loadOptions('pub', { qos: 0, clients: 4, messageInterval: 10 }, conn).ratePerClient).toBe(100);
    expect(() => loadOptions('pub', { qos: 0, rate: 1, messageInterval: 1 }, conn)).toThrow(UsageError);
  });

  it('rejects a payload too small for the stamp and templates that expand to invalid topics', () => {
    expect(() => loadOptions('pub', { qos: 0, size: 8 }, conn)).toThrow(UsageError);
    expect(() => loadOptions('pub', { qos: 0, topic: 'bench/+/%i' }, conn)).toThrow(UsageError);
    expect(() => loadOptions('pubsub', { qos: 0, subTopic: 'a/#/b' }, conn)).toThrow(UsageError);
  });

  it('converts seconds to milliseconds', () => {
    const o = loadOptions('pubsub', { qos: 1, duration: 2, drainTimeout: 3 }, conn);
    expect([o.durationMs, o.drainTimeoutMs]).toEqual([2000, 3000]);
  });

  it('fails a run on any error, loss, duplicate or reordering', () => {
    const clean = { errors: 0, lost: 0, duplicates: 0, reordered: 0 };
    expect(failed(clean)).toBe(false);
    for (const key of Object.keys(clean)) expect(failed({ ...clean, [key]: 1 })).toBe(true);
  });
});
