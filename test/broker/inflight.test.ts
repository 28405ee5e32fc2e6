import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Inflight } from '../../src/broker/inflight.js';
import { Message } from '../../src/broker/message.js';
import { Outgoing } from '../../src/broker/session.js';

const message = new Message('t', Buffer.alloc(0), 1, false, undefined, 0, '', false);
const outgoing = (packetId: number): Outgoing => new Outgoing(message, 1, false, undefined, packetId);

/** Applies ops to an Inflight and to a Map, the model, checking they agree after each one. */
function agree(ops: Array<{ op: 'set' | 'delete' | 'get'; id: number }>): void {
  const table = new Inflight();
  const model = new Map<number, Outgoing>();
  for (const { op, id } of ops) {
    if (op === 'set') {
      const out = outgoing(id);
      table.set(out);
      model.set(id, out);
    } else if (op === 'delete') {
      expect(table.delete(id)).toBe(model.delete(id));
    }
    expect(table.has(id)).toBe(model.has(id));
    expect(table.size).toBe(model.size);
    // Every id still found by probing, not only the one just touched.
    for (const [k, v] of model)
      if (table.get(k) !== v) throw new Error(`id ${k} unreachable after ${op} ${id}`);
    expect(table.get(id)).toBe(model.get(id));
  }
  expect(table.values()).toEqual([...model.values()]);
  expect(table.values().map((o) => o.packetId)).toEqual([...model.keys()]);
}

describe('Inflight', () => {
  it('behaves as a Map by packet id, in insertion order, for any sequence of sets and deletes', () => {
    // Ids from a small range collide in the table; from the whole range they do not.
    const id = fc.oneof(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 0xffff }));
    const op = fc.record({ op: fc.constantFrom('set', 'delete', 'get'), id });
    fc.assert(fc.property(fc.array(op, { maxLength: 600 }), agree));
  });

  it('keeps every id reachable when ids collide in a small table and runs wrap around its end', () => {
    // Equal modulo 8 and 16 (one home slot), and their neighbours (runs that merge).
    const id = fc.constantFrom(8, 16, 24, 32, 40, 48, 7, 15, 23, 31, 9, 17, 25, 6, 14);
    const op = fc.record({ op: fc.constantFrom('set', 'delete', 'get'), id });
    fc.assert(fc.property(fc.array(op, { maxLength: 200 }), agree), { numRuns: 500 });
  });

  it('three ids with one home slot: deleting the first moves the others back along the run', () => {
    const table = new Inflight();
    for (const id of [8, 16, 24]) table.set(outgoing(id));
    expect(table.delete(8)).toBe(true);
    expect([table.get(16)?.packetId, table.get(24)?.packetId, table.get(8)]).toEqual([16, 24, undefined]);
  });

  it('keeps up with a window that moves through the ids and wraps, as a session sends and is acknowledged', () => {
    const table = new Inflight();
    const window = 100;
    const id = (n: number) => (n % 0xffff) + 1;
    for (let n = 0; n < 70_000; n++) {
      table.set(outgoing(id(n)));
      if (n >= window && !table.delete(id(n - window))) throw new Error(`id ${id(n - window)} lost`);
      if (table.get(id(n))?.packetId !== id(n)) throw new Error(`id ${id(n)} not found`);
    }
    expect(table.size).toBe(window);
    // In the order sent, after the ids wrapped from 65,535 to 1.
    const ids = Array.from({ length: window }, (_, k) => id(70_000 - window + k));
    expect(table.values().map((o) => o.packetId)).toEqual(ids);
  });

  it('an acknowledgement out of order, and growth to 65,535 in flight and back', () => {
    const table = new Inflight();
    for (let id = 1; id <= 0xffff; id++) table.set(outgoing(id));
    expect(table.size).toBe(0xffff);
    expect(table.delete(30_000)).toBe(true);
    expect(table.get(30_000)).toBeUndefined();
    for (let id = 1; id <= 0xffff; id++) if (id !== 30_000) expect(table.delete(id)).toBe(true);
    expect(table.size).toBe(0);
    expect(table.values()).toEqual([]);
    table.set(outgoing(7));
    expect(table.get(7)?.packetId).toBe(7);
  });
});
