import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAcl } from '../../../src/broker/auth/acl.js';
import { Authenticator } from '../../../src/broker/auth/index.js';
import { ConfigError } from '../../../src/errors.js';
import { tempDir } from '../../helpers/processes.js';
import { ACL_CASES, ACL_FILE, type AclCase } from './acl-cases.js';

const acl = parseAcl(ACL_FILE, 'acl');

function decide(c: AclCase): boolean {
  if (c.action === 'publish') return acl.canPublish(c.clientId, c.username, c.topic);
  if (c.action === 'subscribe') return acl.canSubscribe(c.clientId, c.username, c.topic);
  return acl.canReceive(c.clientId, c.username, c.topic);
}

const label = (c: AclCase) => `${c.username ?? 'anonymous'} (${c.clientId}) ${c.action} ${c.topic}: ${c.why}`;

describe('the ACL case table', () => {
  it('has at least 30 cases and one client id per case', () => {
    expect(ACL_CASES.length).toBeGreaterThanOrEqual(30);
    expect(new Set(ACL_CASES.map((c) => c.clientId)).size).toBe(ACL_CASES.length);
  });

  it.each(ACL_CASES.map((c) => [label(c), c] as const))('mqx: %s', (_, c) => {
    expect(decide(c)).toBe(c.mqx ?? c.allowed);
  });
});

describe('ACL semantics beyond the table', () => {
  it('without an acl_file everything is allowed but publishing to $SYS', async () => {
    const auth = new Authenticator({ allowAnonymous: true }, { explicitListeners: true });
    await auth.reload();
    expect(auth.hasAcl).toBe(false);
    expect(auth.canPublish('c', undefined, 'a/b')).toBe(true);
    expect(auth.canPublish('c', undefined, '$SYS/x')).toBe(false);
    expect(auth.canReceive('c', undefined, '$SYS/broker/version')).toBe(true);
    expect(auth.canSubscribe('c', 'u', '#')).toBe(true);
  });

  it('treats an empty username as anonymous', async () => {
    const dir = tempDir('mqx-acl-');
    writeFileSync(path.join(dir, 'acl'), ACL_FILE);
    const auth = new Authenticator(
      { allowAnonymous: true, aclFile: path.join(dir, 'acl') },
      { explicitListeners: true },
    );
    await auth.reload();
    expect(auth.canPublish('x', '', 'anon/rw')).toBe(true);
  });

  it('matches wildcards as MQTT does', () => {
    const a = parseAcl('topic read +/+\ntopic read a/+/c/#\ntopic read /lead\n', 'acl');
    const can = (t: string) => a.canReceive('c', undefined, t);
    expect([can('x/y'), can('/y'), can('x/'), can('x'), can('x/y/z')]).toEqual([
      true,
      true,
      true,
      false,
      false,
    ]);
    expect([can('a/b/c'), can('a/b/c/d/e'), can('a/b/d'), can('/lead'), can('lead')]).toEqual([
      true,
      true,
      false,
      true,
      false,
    ]);
    expect(can('$SYS/y')).toBe(false);
  });

  it('substitutes ids that contain slashes as text', () => {
    const a = parseAcl('pattern readwrite c/%c/x\n', 'acl');
    expect(a.canPublish('d/e', undefined, 'c/d/e/x')).toBe(true);
  });

  it('keeps a compiled client ACL per client id and notices a new username', () => {
    const a = parseAcl('user u\ntopic read u/#\nuser v\ntopic read v/#\n', 'acl');
    expect(a.forClient('same', 'u')).toBe(a.forClient('same', 'u'));
    expect(a.canReceive('same', 'v', 'v/1')).toBe(true);
    expect(a.canReceive('same', 'v', 'u/1')).toBe(false);
  });
});

describe('acl_file parsing (errors as mosquitto 2.0.11 refuses them)', () => {
  const bad: Array<[string, RegExp]> = [
    ['topic\n', /acl:1: "topic" needs a topic/],
    ['pattern\n', /acl:1: "pattern" needs a topic/],
    ['user\n', /acl:1: "user" needs a username/],
    ['# ok\nbogus x\n', /acl:2: unknown directive "bogus"/],
    ['TOPIC read x\n', /unknown directive "TOPIC"/],
    ['  # indented comment\n', /acl:1: unknown directive "#"/],
    ['topic\tread\tx\n', /unknown directive/],
    ['topic Read x\n', /acl:1: invalid access "Read"/],
    ['topic sp ace\n', /invalid access "sp"/],
    ['topic read a/#/b\n', /acl:1: invalid topic "a\/#\/b"/],
    ['topic read a+/b\n', /invalid topic "a\+\/b"/],
    ['pattern read %c+\n', /invalid topic "%c\+"/],
    ['topic read x # comment\n', /invalid topic "x # comment"/],
  ];
  it.each(bad)('refuses %j', (text, message) => {
    expect(() => parseAcl(text, 'acl')).toThrow(ConfigError);
    expect(() => parseAcl(text, 'acl')).toThrow(message);
  });

  it('accepts what mosquitto accepts, with its meaning', () => {
    const a = parseAcl(
      [
        'topic read',
        'topic deny',
        '  topic readwrite  two  spaces ',
        'topic read sp ace/x\r',
        '\t',
        'user  spaced name ',
        'topic readwrite sn',
      ].join('\n'),
      'acl',
    );
    // A single word after "topic" is the topic, with readwrite access.
    expect(a.canPublish('c', undefined, 'read')).toBe(true);
    expect(a.canPublish('c', undefined, 'deny')).toBe(true);
    expect(a.canPublish('c', undefined, 'two  spaces')).toBe(true);
    expect(a.canReceive('c', undefined, 'sp ace/x')).toBe(true);
    expect(a.canPublish('c', 'spaced name', 'sn')).toBe(true);
  });
});
