import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Authenticator, refusalReasonCode, resolveAllowAnonymous } from '../../../src/broker/auth/index.js';
import { formatEntry } from '../../../src/broker/auth/password-file.js';
import { connackCodeForV4, ReasonCode } from '../../../src/protocol/reason-codes.js';
import { peers } from '../../helpers/peers.js';
import { type RunningBroker, tempDir } from '../../helpers/processes.js';
import { startMosquittoWithAuth } from './mosquitto-auth.js';

async function files(passwd: string, acl?: string) {
  const dir = tempDir('mqx-authn-');
  writeFileSync(path.join(dir, 'passwd'), passwd);
  if (acl !== undefined) writeFileSync(path.join(dir, 'acl'), acl);
  return {
    passwordFile: path.join(dir, 'passwd'),
    aclFile: acl === undefined ? undefined : path.join(dir, 'acl'),
  };
}

const pw = (s: string) => Buffer.from(s);

describe('resolveAllowAnonymous (mosquitto 2.0.11 observed)', () => {
  it('an explicit setting wins', () => {
    expect(resolveAllowAnonymous({ allowAnonymous: true }, true)).toBe(true);
    expect(resolveAllowAnonymous({ allowAnonymous: false }, false)).toBe(false);
  });
  it('unset: allowed only in local-only mode, password file or not', () => {
    expect(resolveAllowAnonymous({}, false)).toBe(true);
    expect(resolveAllowAnonymous({ passwordFile: '/p' }, false)).toBe(true);
    expect(resolveAllowAnonymous({}, true)).toBe(false);
    expect(resolveAllowAnonymous({ passwordFile: '/p' }, true)).toBe(false);
  });
});

describe('Authenticator.authenticate', () => {
  it('checks users against the password file', async () => {
    const f = await files(`${await formatEntry('alice', 'secret')}\n`);
    const auth = new Authenticator(
      { allowAnonymous: true, passwordFile: f.passwordFile },
      { explicitListeners: true },
    );
    await auth.reload();
    const bad = { ok: false, reason: 'bad-credentials' };
    expect(await auth.authenticate({ clientId: 'c', username: 'alice', password: pw('secret') })).toEqual({
      ok: true,
    });
    expect(await auth.authenticate({ clientId: 'c', username: 'alice', password: pw('nope') })).toEqual(bad);
    expect(await auth.authenticate({ clientId: 'c', username: 'alice' })).toEqual(bad);
    expect(await auth.authenticate({ clientId: 'c', username: 'nobody', password: pw('secret') })).toEqual(
      bad,
    );
    // anonymous, including an empty username and a password without username (5.0)
    expect(await auth.authenticate({ clientId: 'c' })).toEqual({ ok: true });
    expect(await auth.authenticate({ clientId: 'c', username: '' })).toEqual({ ok: true });
    expect(await auth.authenticate({ clientId: 'c', password: pw('secret') })).toEqual({ ok: true });
  });

  it('refuses anonymous clients when not allowed', async () => {
    const f = await files(`${await formatEntry('alice', 'secret')}\n`);
    const auth = new Authenticator({ passwordFile: f.passwordFile }, { explicitListeners: true });
    await auth.reload();
    expect(auth.allowsAnonymous).toBe(false);
    expect(await auth.authenticate({ clientId: 'c' })).toEqual({ ok: false, reason: 'not-authorized' });
    expect(await auth.authenticate({ clientId: 'c', username: '', password: pw('x') })).toEqual({
      ok: false,
      reason: 'not-authorized',
    });
    expect(await auth.authenticate({ clientId: 'c', username: 'alice', password: pw('secret') })).toEqual({
      ok: true,
    });
  });

  it('without a password file a username proves nothing: the client is anonymous', async () => {
    const closed = new Authenticator({ allowAnonymous: false }, { explicitListeners: true });
    const open = new Authenticator({ allowAnonymous: true }, { explicitListeners: true });
    await Promise.all([closed.reload(), open.reload()]);
    const req = { clientId: 'c', username: 'alice', password: pw('x') };
    expect(await closed.authenticate(req)).toEqual({ ok: false, reason: 'not-authorized' });
    expect(await open.authenticate(req)).toEqual({ ok: true });
  });

  it('refuses to answer before the files are read', () => {
    const auth = new Authenticator({ allowAnonymous: true }, { explicitListeners: false });
    expect(() => auth.authenticate({ clientId: 'c' })).toThrow('before reload()');
    expect(() => auth.canPublish('c', undefined, 't')).toThrow('before reload()');
  });

  it('keeps the previous files when a reload finds a broken one', async () => {
    const f = await files(`${await formatEntry('alice', 'one')}\n`, 'topic readwrite a\n');
    const auth = new Authenticator({ allowAnonymous: true, ...f }, { explicitListeners: true });
    await auth.reload();
    writeFileSync(f.passwordFile, `${await formatEntry('alice', 'two')}\nbroken line\n`);
    await expect(auth.reload()).rejects.toThrow(/passwd:2: /);
    expect(await auth.authenticate({ clientId: 'c', username: 'alice', password: pw('one') })).toEqual({
      ok: true,
    });
    writeFileSync(f.passwordFile, `${await formatEntry('alice', 'two')}\n`);
    writeFileSync(f.aclFile!, 'topic readwrite b\n');
    await auth.reload();
    expect(await auth.authenticate({ clientId: 'c', username: 'alice', password: pw('two') })).toEqual({
      ok: true,
    });
    expect([auth.canPublish('c', undefined, 'a'), auth.canPublish('c', undefined, 'b')]).toEqual([
      false,
      true,
    ]);
  });

  it('refuses as mosquitto does: "not authorized" for every failure', () => {
    for (const reason of ['bad-credentials', 'not-authorized'] as const) {
      expect(refusalReasonCode(reason)).toBe(ReasonCode.NotAuthorized);
      expect(connackCodeForV4(refusalReasonCode(reason))).toBe(5);
    }
  });
});

describe.runIf(peers.mosquitto() && peers.mosquittoClients())(
  'what mosquitto 2.0 answers to refused clients',
  () => {
    let broker: RunningBroker;
    beforeAll(async () => {
      broker = await startMosquittoWithAuth({
        passwd: `${await formatEntry('alice', 'secret')}\n`,
        extra: 'allow_anonymous false\n',
      });
    });
    afterAll(() => broker?.stop());

    const connect = (version: string, creds: string[]) =>
      execa('mosquitto_pub', ['-p', String(broker.port), '-V', version, ...creds, '-t', 't', '-m', 'x'], {
        reject: false,
        all: true,
        timeout: 10_000,
      });

    it.each([
      ['anonymous', [] as string[]],
      ['wrong password', ['-u', 'alice', '-P', 'wrong']],
      ['unknown user', ['-u', 'nobody', '-P', 'secret']],
      ['username without password', ['-u', 'alice']],
    ])('%s: CONNACK 5 in 3.1.1, 0x87 in 5.0', async (_, creds) => {
      const [v311, v5] = await Promise.all([connect('311', creds), connect('5', creds)]);
      expect(v311.all).toContain('Connection Refused: not authorised.');
      expect(v5.all).toContain('Connection error: Not authorized');
      expect(v5.exitCode).toBe(ReasonCode.NotAuthorized); // mosquitto_pub exits with the reason code
    });
  },
);
