import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Fifo } from '../../src/broker/fifo.js';

describe('Fifo', () => {
  it('behaves as an array queue for any sequence of pushes and shifts', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.integer(), fc.constant('shift' as const)), { maxLength: 5000 }),
        (ops) => {
          const fifo = new Fifo<number>();
          const model: number[] = [];
          for (const op of ops) {
            if (op === 'shift') expect(fifo.shift()).toBe(model.shift());
            else {
              fifo.push(op);
              model.push(op);
            }
            expect(fifo.length).toBe(model.length);
          }
          expect([...fifo]).toEqual(model);
        },
      ),
    );
  });

  it('compacts after many shifts without losing order', () => {
    const fifo = new Fifo<number>();
    for (let i = 0; i < 5000; i++) fifo.push(i);
    for (let i = 0; i < 3000; i++) expect(fifo.shift()).toBe(i);
    expect(fifo.length).toBe(2000);
    expect([...fifo][0]).toBe(3000);
    fifo.clear();
    expect(fifo.length).toBe(0);
    expect(fifo.shift()).toBeUndefined();
  });
});
