import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Keyed, SessionTable } from '../../src/broker/session-table.js';

class Member implements Keyed {
  constructor(
    readonly clientId: string,
    readonly n = 0,
  ) {}
}

const ids = (table: SessionTable<Member>) => [...table.keys()].sort();
/** The table's slot count: what it costs, which the tests below hold to its load limits. */
const slotCount = (table: SessionTable<Member>) => (table as unknown as { slots: unknown[] }).slots.length;

describe('SessionTable', () => {
  it('behaves as a Map keyed by client id through any run of sets and deletes', () => {
    const op = fc.oneof(
      fc.record({ set: fc.string({ maxLength: 4 }), n: fc.nat() }),
      fc.record({ del: fc.string({ maxLength: 4 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
        const table = new SessionTable<Member>();
        const model = new Map<string, Member>();
        for (const o of ops) {
          if ('set' in o) {
            const member = new Member(o.set, o.n);
            table.set(member);
            model.set(o.set, member);
          } else expect(table.delete(o.del)).toBe(model.delete(o.del));
          expect(table.size).toBe(model.size);
        }
        for (const [id, member] of model) {
          expect(table.get(id)).toBe(member);
          expect(table.has(id)).toBe(true);
        }
        expect(ids(table)).toEqual([...model.keys()].sort());
        const walked: Member[] = [];
        table.forEach((m) => {
          walked.push(m);
        });
        expect(walked.length).toBe(model.size);
        expect(new Set(walked)).toEqual(new Set(model.values()));
      }),
    );
  });

  it('puts a member in the place of the one with its client id', () => {
    const table = new SessionTable<Member>();
    table.set(new Member('a', 1));
    const second = new Member('a', 2);
    table.set(second);
    expect(table.size).toBe(1);
    expect(table.get('a')).toBe(second);
    expect([...table.values()]).toEqual([second]);
  });

  it('lets a walk delete the member it is on and any other, and still visits every member left', () => {
    const table = new SessionTable<Member>();
    for (let i = 0; i < 100; i++) table.set(new Member(`c${i}`, i));
    const visited = new Set<number>();
    for (const m of table.values()) {
      visited.add(m.n);
      table.delete(m.clientId);
      // Each odd member deletes the one after it, visited or not.
      if (m.n % 2 === 1) table.delete(`c${(m.n + 1) % 100}`);
    }
    expect(table.size).toBe(0);
    // What a walk skips is only what was deleted before the walk reached it.
    for (let i = 0; i < 100; i++) if (!visited.has(i)) expect(i % 2).toBe(0);
    table.forEach((m) => {
      table.delete(m.clientId);
    });
    expect(table.size).toBe(0);
  });

  it('finishes a walk during which members are added, over the members it started with', () => {
    const table = new SessionTable<Member>();
    for (let i = 0; i < 12; i++) table.set(new Member(`c${i}`, i));
    const visited: number[] = [];
    for (const m of table.values()) {
      visited.push(m.n);
      // Enough new members to grow the slots more than once.
      if (m.n < 12) for (let j = 0; j < 20; j++) table.set(new Member(`new${m.n}-${j}`, 100));
    }
    expect(visited.filter((n) => n < 12).sort((a, b) => a - b)).toEqual([...Array(12).keys()]);
    expect(table.size).toBe(12 + 12 * 20);
    for (let i = 0; i < 12; i++) expect(table.get(`new${i}-19`)?.n).toBe(100);
  });

  it('keeps its load between the limits: grows with its members and shrinks once most are gone', () => {
    const table = new SessionTable<Member>();
    for (let i = 0; i < 10_000; i++) table.set(new Member(`client-${i}`));
    expect(slotCount(table)).toBe(16_384);
    for (let i = 0; i < 9_990; i++) table.delete(`client-${i}`);
    // A connect and disconnect at a time, as clean sessions come and go: the deleted slots are
    // taken back, and the table shrinks to what its members need.
    for (let i = 0; i < 20_000; i++) {
      table.set(new Member(`churn-${i}`));
      table.delete(`churn-${i}`);
    }
    expect(table.size).toBe(10);
    expect(slotCount(table)).toBeLessThanOrEqual(64);
    for (let i = 9_990; i < 10_000; i++) expect(table.has(`client-${i}`)).toBe(true);
  });

  it('finds ids that differ only in their last characters or are long, and tells apart the empty id', () => {
    const table = new SessionTable<Member>();
    const long = 'x'.repeat(65_535);
    const all = ['', 'a', 'b', 'ab', 'ba', `${long}1`, `${long}2`, 'é', '\u{1F600}'];
    for (const id of all) table.set(new Member(id));
    for (const id of all) expect(table.get(id)?.clientId).toBe(id);
    expect(table.get('c')).toBeUndefined();
    expect(table.delete('')).toBe(true);
    expect(table.has('')).toBe(false);
    expect(table.size).toBe(all.length - 1);
  });
});
