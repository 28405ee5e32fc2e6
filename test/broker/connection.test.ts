import { describe, expect, it } from 'vitest';
import { remoteOf, tenths } from '../../src/broker/connection.js';

describe('remoteOf', () => {
  it("gives an IPv4 peer as mosquitto logs it, and a unix socket's as unix", () => {
    expect(remoteOf({ remoteAddress: '::ffff:127.0.0.1', remotePort: 5000 })).toEqual({
      address: '127.0.0.1',
      port: 5000,
    });
    expect(remoteOf({ remoteAddress: '::1', remotePort: 6000 })).toEqual({ address: '::1', port: 6000 });
    expect(remoteOf({})).toEqual({ address: 'unix', port: 0 });
  });
});

describe('tenths', () => {
  it('counts tenths of a second as a small integer, which V8 keeps in the field itself', async () => {
    const before = tenths();
    await new Promise((resolve) => setTimeout(resolve, 250));
    const after = tenths();
    expect(Number.isInteger(before)).toBe(true);
    expect(after - before).toBeGreaterThanOrEqual(2);
    expect(after - before).toBeLessThanOrEqual(10);
    expect(after).toBeLessThan(2 ** 30);
  });
});
