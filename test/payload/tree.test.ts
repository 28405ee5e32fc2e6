import { describe, expect, it } from 'vitest';
import { exactInteger, Instant, type Tree, toJson, toPeople } from '../../src/payload/tree.js';

const tree: Tree = {
  big: 2n ** 64n,
  at: new Instant(1_700_000_000_000n),
  dateTime: new Instant(1_700_000_000_000n, true),
  bytes: new Uint8Array([1, 2, 3]),
  nan: Number.NaN,
  list: [1, 'a', null, true],
  empty: {},
};

describe('decoded payload trees', () => {
  it('--json: 64-bit integers and DateTime values as strings, timestamps as numbers, bytes base64', () => {
    expect(toJson(tree)).toEqual({
      big: '18446744073709551616',
      at: 1_700_000_000_000,
      dateTime: '1700000000000',
      bytes: 'AQID',
      nan: 'NaN',
      list: [1, 'a', null, true],
      empty: {},
    });
  });

  it('people: exact digits and ISO 8601 times, on one line or indented', () => {
    expect(toPeople(tree, false)).toBe(
      '{"big":18446744073709551616,"at":"2023-11-14T22:13:20.000Z","dateTime":"2023-11-14T22:13:20.000Z","bytes":"AQID","nan":"NaN","list":[1,"a",null,true],"empty":{}}',
    );
    expect(toPeople({ a: [1, { b: 2n }] }, true)).toBe(
      '{\n  "a": [\n    1,\n    {\n      "b": 2\n    }\n  ]\n}',
    );
  });

  it('a time out of Date range prints as its number', () => {
    expect(toPeople(new Instant(2n ** 62n), false)).toBe(String(2n ** 62n));
  });

  it('bigints that fit a double exactly become numbers', () => {
    expect(exactInteger(2n ** 53n - 1n)).toBe(2 ** 53 - 1);
    expect(exactInteger(2n ** 53n)).toBe(2n ** 53n);
  });
});
