import { describe, expect, it } from 'vitest';
import {
  HOPS_PROPERTY,
  HopGuard,
  ID_LIMIT,
  ID_PROPERTY,
  ID_TTL_MS,
  MAX_HOPS,
} from '../../src/bridge/hop-guard.js';
import { Message } from '../../src/broker/message.js';

const message = (user?: Array<[string, string]>) =>
  new Message('t', Buffer.from('p'), 1, false, user ? { userProperties: user } : undefined, 0, 'c', false);

describe('HopGuard', () => {
  it('stamps a message once with a new id and one hop, keeping its other user properties', () => {
    const guard = new HopGuard();
    const m = message([['k', 'v']]);
    const out = guard.leaving(m);
    expect(guard.leaving(m)).toBe(out);
    const user = out.properties?.userProperties ?? [];
    expect(user[0]).toEqual(['k', 'v']);
    expect(user.find(([k]) => k === ID_PROPERTY)?.[1]).toMatch(new RegExp(`^${guard.id}:`));
    expect(user.find(([k]) => k === HOPS_PROPERTY)?.[1]).toBe('1');
  });

  it('refuses a copy of its own message coming back, and a second copy arriving elsewhere', () => {
    const a = new HopGuard();
    const b = new HopGuard();
    const stamped = a.leaving(message()).properties?.userProperties;
    expect(a.arriving(stamped)).toBe(false);
    expect(b.arriving(stamped)).toBe(true);
    expect(b.arriving(stamped)).toBe(false);
    expect(b.copies).toBe(1);
  });

  it('keeps the id across brokers and counts hops', () => {
    const a = new HopGuard();
    const b = new HopGuard();
    const first = a.leaving(message());
    const second = b.leaving(message(first.properties?.userProperties as Array<[string, string]>));
    const id = (m: Message) => m.properties?.userProperties?.find(([k]) => k === ID_PROPERTY)?.[1];
    expect(id(second)).toBe(id(first));
    expect(second.properties?.userProperties?.find(([k]) => k === HOPS_PROPERTY)?.[1]).toBe('2');
  });

  it('admits what carries no id (3.1.1, other brokers), forgets ids after the TTL, drops past MAX_HOPS', () => {
    let now = 0;
    const guard = new HopGuard(() => now);
    expect(guard.arriving(undefined)).toBe(true);
    expect(guard.arriving(undefined)).toBe(true);
    const user: Array<[string, string]> = [[ID_PROPERTY, 'x:1']];
    expect(guard.arriving(user)).toBe(true);
    now += ID_TTL_MS + 1;
    expect(guard.arriving(user)).toBe(true);
    expect(
      guard.arriving([
        [ID_PROPERTY, 'x:2'],
        [HOPS_PROPERTY, String(MAX_HOPS + 1)],
      ]),
    ).toBe(false);
  });

  it('keeps at most ID_LIMIT ids: the oldest goes first, the newer ones stay', () => {
    const guard = new HopGuard();
    const id = (i: number): Array<[string, string]> => [[ID_PROPERTY, `x:${i}`]];
    for (let i = 0; i <= ID_LIMIT; i++) guard.arriving(id(i));
    expect(guard.arriving(id(ID_LIMIT))).toBe(false);
    expect(guard.arriving(id(1))).toBe(false);
    expect(guard.arriving(id(0))).toBe(true);
  });
});
