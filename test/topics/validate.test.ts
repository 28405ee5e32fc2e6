import { describe, expect, it } from 'vitest';
import {
  isSysTopic,
  parseSharedFilter,
  validateTopicFilter,
  validateTopicName,
} from '../../src/topics/validate.js';

describe('validateTopicName', () => {
  it.each(['a', 'a/b', '/', 'a//b', '/finance', '$SYS/broker/uptime', 'sport/tennis/player1', 'ü/€'])(
    'accepts %j',
    (topic) => {
      expect(validateTopicName(topic)).toBeUndefined();
    },
  );

  it.each([
    ['', /empty/],
    ['a/+', /wildcards/],
    ['a/#', /wildcards/],
    ['a+b', /wildcards/],
    ['a\u0000b', /U\+0000/],
  ])('rejects %j', (topic, message) => {
    expect(validateTopicName(topic)).toMatch(message);
  });

  it('counts the limit in UTF-8 bytes, not characters', () => {
    expect(validateTopicName('a'.repeat(65535))).toBeUndefined();
    expect(validateTopicName('a'.repeat(65536))).toMatch(/65535 bytes/);
    // 21846 three-byte characters are 65538 bytes although only 21846 UTF-16 units.
    expect(validateTopicName('€'.repeat(21845))).toBeUndefined();
    expect(validateTopicName('€'.repeat(21846))).toMatch(/65535 bytes/);
  });
});

describe('validateTopicFilter', () => {
  it.each([
    '#',
    '+',
    'sport/tennis/#',
    'sport/+',
    '+/+',
    '+/tennis/#',
    'sport/+/player1',
    '/+',
    '/',
    'a//b',
    '//',
    '$SYS/#',
    '$share/group/a/b',
    '$share/g/#',
    '$share/g/+/x',
    '$share',
  ])('accepts %j', (filter) => {
    expect(validateTopicFilter(filter)).toBeUndefined();
  });

  it.each([
    ['', /empty/],
    ['a/#/b', /last level/],
    ['sport/tennis#', /whole level/],
    ['#a', /whole level/],
    ['a#', /whole level/],
    ['a+', /whole level/],
    ['+a', /whole level/],
    ['sport+', /whole level/],
    ['a/b\u0000', /U\+0000/],
    ['$share//x', /empty group/],
    ['$share/g', /needs a filter/],
    ['$share/g/', /empty filter/],
    ['$share/g+/x', /must not contain/],
    ['$share/#/x', /must not contain/],
    ['$share/g/a/#/b', /last level/],
    ['$share/g/a+', /whole level/],
  ])('rejects %j', (filter, message) => {
    expect(validateTopicFilter(filter)).toMatch(message);
  });
});

describe('parseSharedFilter', () => {
  it('splits the group from the filter at the first two slashes', () => {
    expect(parseSharedFilter('$share/g1/a/b/#')).toEqual({ group: 'g1', filter: 'a/b/#' });
    expect(parseSharedFilter('$share/g//')).toEqual({ group: 'g', filter: '/' });
  });

  it('returns undefined for ordinary and malformed filters', () => {
    expect(parseSharedFilter('a/b')).toBeUndefined();
    expect(parseSharedFilter('$SYS/#')).toBeUndefined();
    expect(parseSharedFilter('$share/g')).toBeUndefined();
    expect(parseSharedFilter('$share//x')).toBeUndefined();
    expect(parseSharedFilter('$share/g/')).toBeUndefined();
  });
});

describe('isSysTopic', () => {
  it('is true for $SYS and below only', () => {
    expect(isSysTopic('$SYS')).toBe(true);
    expect(isSysTopic('$SYS/broker/load')).toBe(true);
    expect(isSysTopic('$SYSTEM/x')).toBe(false);
    expect(isSysTopic('$share/g/x')).toBe(false);
    expect(isSysTopic('a/$SYS')).toBe(false);
  });
});
