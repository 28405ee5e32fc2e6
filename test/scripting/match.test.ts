import { describe, expect, it } from 'vitest';
import { compileMatch, parseJsonCondition } from '../../src/scripting/match.js';

const test = async (expr: string, payload: string) => (await compileMatch(expr))(Buffer.from(payload));

describe('--match expressions', () => {
  it('splits PATH OP VALUE at the operator outside a JSONPath filter', () => {
    expect(parseJsonCondition('$.a[?@.b < 3].c >= 2')).toEqual({
      path: '$.a[?@.b < 3].c',
      op: '>=',
      value: 2,
    });
    expect(parseJsonCondition("$['x>y'] == on")).toEqual({ path: "$['x>y']", op: '==', value: 'on' });
    expect(parseJsonCondition('$.flag')).toEqual({ path: '$.flag' });
  });

  it.each([
    ['json:$.temperature > 30', '{"temperature": 30.5}', true],
    ['json:$.temperature > 30', '{"temperature": 30}', false],
    ['json:$.temperature > 30', '{"temperature": "31"}', false],
    ['json:$.temperature > 30', 'temperature: 31', false],
    ['$.state == "on"', '{"state": "on"}', true],
    ['$.state != "on"', '{"state": "off"}', true],
    ['$.state == on', '{"state": "on"}', true],
    ['$.tags == ["a","b"]', '{"tags": ["a", "b"]}', true],
    ['$.sensors[*].value >= 10', '{"sensors": [{"value": 3}, {"value": 10}]}', true],
    [
      '$.sensors[?@.id == 2].value < 0',
      '{"sensors": [{"id": 1, "value": -1}, {"id": 2, "value": 5}]}',
      false,
    ],
    ['$.alarm', '{"alarm": null}', true],
    ['$.alarm', '{"other": 1}', false],
    ['re:^temp.*: 2\\d$', 'temperature: 23', true],
    ['re:passed', 'build passed', true],
    ['text:passed', 'build passed', false],
    ['text:passed', 'passed', true],
  ])('%s on %s: %s', async (expr, payload, expected) => {
    expect(await test(expr, payload)).toBe(expected);
  });

  it.each([
    ['no kind', 'passed', /needs a kind/],
    ['a broken JSONPath', 'json:$.[', /--match json/],
    ['a path without $', 'json:temperature > 3', /starts with \$/],
    ['no value', 'json:$.a >', /nothing to compare/],
    ['a broken regex', 're:(', /--match re/],
  ])('%s is a usage error', async (_name, expr, message) => {
    await expect(compileMatch(expr)).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringMatching(message),
    });
  });
});
