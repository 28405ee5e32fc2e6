import { describe, expect, it } from 'vitest';
import { ConnectionList, type Listed } from '../../src/broker/connection-list.js';

class Member implements Listed<Member> {
  listPrev: Member | undefined = undefined;
  listNext: Member | undefined = undefined;
  constructor(readonly n: number) {}
}

const members = (count: number) => Array.from({ length: count }, (_, i) => new Member(i));
const order = (list: ConnectionList<Member>) => [...list].map((m) => m.n);

describe('ConnectionList', () => {
  it('keeps the order members came in, and its size, through removals from anywhere', () => {
    const list = new ConnectionList<Member>();
    const m = members(5);
    for (const x of m) list.add(x);
    expect(order(list)).toEqual([0, 1, 2, 3, 4]);
    expect(list.delete(m[0]!)).toBe(true);
    expect(list.delete(m[2]!)).toBe(true);
    expect(list.delete(m[4]!)).toBe(true);
    expect(list.delete(m[2]!)).toBe(false);
    expect(order(list)).toEqual([1, 3]);
    expect(list.size).toBe(2);
    expect(list.has(m[1]!)).toBe(true);
    expect(list.has(m[0]!)).toBe(false);
    list.add(new Member(5));
    expect(order(list)).toEqual([1, 3, 5]);
    expect(list.delete(m[1]!) && list.delete(m[3]!)).toBe(true);
    expect(order(list)).toEqual([5]);
  });

  it('knows a member that was never added', () => {
    const list = new ConnectionList<Member>();
    list.add(new Member(0));
    expect(list.has(new Member(1))).toBe(false);
    expect(list.delete(new Member(1))).toBe(false);
    expect(list.size).toBe(1);
  });

  it('leaves a removed member no pointer to the others once no walk is on', () => {
    for (const walk of ['forEach', 'for...of'] as const) {
      const list = new ConnectionList<Member>();
      const m = members(5);
      for (const x of m) list.add(x);
      list.delete(m[1]!);
      expect(m[1]!.listNext).toBeUndefined();
      const visit = (x: Member) => {
        if (x.n === 0) list.delete(m[2]!);
        // During the walk it still leads on, for a walk that stands on it.
        if (x.n === 0) expect(m[2]!.listNext).toBe(m[3]);
      };
      if (walk === 'forEach') list.forEach(visit);
      else for (const x of list) visit(x);
      expect(m[2]!.listNext).toBeUndefined();
      expect(order(list)).toEqual([0, 3, 4]);
    }
  });

  it('lets a walk remove the member it is on, members ahead of it, and members behind it', () => {
    for (const walk of ['forEach', 'for...of'] as const) {
      const list = new ConnectionList<Member>();
      const m = members(8);
      for (const x of m) list.add(x);
      const seen: number[] = [];
      const visit = (x: Member) => {
        seen.push(x.n);
        if (x.n === 1) list.delete(x);
        if (x.n === 2) {
          list.delete(m[3]!);
          list.delete(m[4]!);
          list.delete(m[0]!);
        }
        if (x.n === 5) {
          list.delete(x);
          list.delete(m[6]!);
        }
      };
      if (walk === 'forEach') list.forEach(visit);
      else for (const x of list) visit(x);
      expect(seen).toEqual([0, 1, 2, 5, 7]);
      expect(order(list)).toEqual([2, 7]);
      expect(list.size).toBe(2);
    }
  });
});
