import { readFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatEntry, loadPasswordFile, parsePasswordFile } from '../../../src/broker/auth/password-file.js';
import { ConfigError } from '../../../src/errors.js';
import { peers } from '../../helpers/peers.js';
import { type RunningBroker, tempDir } from '../../helpers/processes.js';
import { startMosquittoWithAuth } from './mosquitto-auth.js';

const pw = (s: string) => Buffer.from(s);

/** Resolves the sync-or-async answer of verify(). */
const verify = async (file: ReturnType<typeof parsePasswordFile>, user: string, password: string) =>
  await file.verify(user, pw(password));

describe.runIf(peers.mosquittoPasswd())('files written by mosquitto_passwd', () => {
  const dir = tempDir('mqx-passwd-');
  const file = path.join(dir, 'passwd');

  beforeAll(async () => {
    await execa('mosquitto_passwd', ['-c', '-b', file, 'alice', 'secret']);
    await execa('mosquitto_passwd', ['-b', file, 'bob', 'pä:ss wörd']);
    await execa('mosquitto_passwd', ['-H', 'sha512', '-b', file, 'carol', 'old-style']);
  });

  it('writes $7$ by default and $6$ with -H sha512', () => {
    const text = readFileSync(file, 'utf8');
    expect(text).toMatch(/^alice:\$7\$101\$[A-Za-z0-9+/]{16}\$[A-Za-z0-9+/]{86}==$/m);
    expect(text).toMatch(/^carol:\$6\$[A-Za-z0-9+/]{16}\$[A-Za-z0-9+/]{86}==$/m);
  });

  it('verifies the right passwords and refuses wrong ones', async () => {
    const f = await loadPasswordFile(file);
    expect(f.size).toBe(3);
    expect(await verify(f, 'alice', 'secret')).toBe(true);
    expect(await verify(f, 'bob', 'pä:ss wörd')).toBe(true);
    expect(await verify(f, 'carol', 'old-style')).toBe(true);
    expect(await verify(f, 'alice', 'Secret')).toBe(false);
    expect(await verify(f, 'alice', 'secret ')).toBe(false);
    expect(await verify(f, 'bob', 'pä:ss')).toBe(false);
    expect(await verify(f, 'carol', 'old')).toBe(false);
    expect(await verify(f, 'dave', 'secret')).toBe(false);
  });
});

describe('parsing', () => {
  it('reads lines as mosquitto does: trimmed, comments, CRLF, the last duplicate wins', async () => {
    const a = await formatEntry('alice', 'one');
    const b = await formatEntry('alice', 'two');
    const t = (await formatEntry('tab', 'x')).replace('tab:', 'tab\t:');
    const f = parsePasswordFile(`# comment\n\n   \n  ${a}  \r\n${b}\r\n${t}\n  # indented comment\n`, 'pw');
    expect(f.size).toBe(2);
    expect(await verify(f, 'alice', 'two')).toBe(true);
    expect(await verify(f, 'alice', 'one')).toBe(false);
    expect(await verify(f, 'tab', 'x')).toBe(true);
  });

  it('uses the iteration count the file names', async () => {
    const { pbkdf2Sync, randomBytes } = await import('node:crypto');
    const salt = randomBytes(12);
    const hash = pbkdf2Sync('five', salt, 5, 64, 'sha512');
    const f = parsePasswordFile(`gina:$7$5$${salt.toString('base64')}$${hash.toString('base64')}\n`, 'pw');
    expect(await verify(f, 'gina', 'five')).toBe(true);
  });

  const bad: Array<[string, RegExp]> = [
    ['nocolon', /pw:1: expected "username:hash"/],
    [':$7$101$QEID8ATiOysX+hYd$Db2k', /pw:1: expected "username:hash"/],
    ['plain:text', /pw:1: user "plain": not a \$6\$ or \$7\$ password hash/],
    ['x:', /not a \$6\$ or \$7\$/],
    ['x:$5$a$b', /not a \$6\$ or \$7\$/],
    ['x:$7$abc', /\$7\$ hash has 4/],
    ['x:$7$0$QEID8ATiOysX+hYd$Db2k', /invalid iteration count "0"/],
    ['x:$7$-3$QEID8ATiOysX+hYd$Db2k', /invalid iteration count "-3"/],
    ['x:$7$zz$QEID8ATiOysX+hYd$Db2k', /invalid iteration count "zz"/],
    ['x:$7$101$!!!!$Db2k', /the salt is not base64/],
    ['x:$7$101$QEID8ATiOysX+hYd$Db2', /the hash is not base64/],
    ['x:$6$onlypart', /\$6\$ hash has 3/],
    ['x:$6$QEID8ATiOysX+hYd$Db2k', /a \$6\$ hash is 64 bytes/],
  ];
  it.each(bad)('refuses %j with FILE:LINE', (line, message) => {
    expect(() => parsePasswordFile(line, 'pw')).toThrow(ConfigError);
    expect(() => parsePasswordFile(line, 'pw')).toThrow(message);
    expect(() => parsePasswordFile(`# first\n${line}\n`, 'pw')).toThrow(/^pw:2: /);
  });

  it('reports every bad line at once', () => {
    expect(() => parsePasswordFile('a\n# ok\nb:c\n', 'pw')).toThrow(/pw:1: .*\npw:3: /);
  });

  it('names the file it cannot read', async () => {
    await expect(loadPasswordFile('/nonexistent/passwd')).rejects.toThrow(
      '/nonexistent/passwd: cannot read the password file: no such file or directory',
    );
  });
});

describe('verification', () => {
  it('answers a remembered success synchronously, and only successes are remembered', async () => {
    const f = parsePasswordFile(`${await formatEntry('u', 'right')}\n`, 'pw');
    expect(f.verify('u', pw('right'))).toBeInstanceOf(Promise);
    expect(await f.verify('u', pw('right'))).toBe(true);
    expect(f.verify('u', pw('right'))).toBe(true);
    expect(f.verify('u', pw('wrong'))).toBeInstanceOf(Promise);
    expect(await f.verify('u', pw('wrong'))).toBe(false);
    expect(f.verify('u', pw('wrong'))).toBeInstanceOf(Promise);
  });

  it('runs the same work for an unknown user as for a known one', async () => {
    const f = parsePasswordFile(`${await formatEntry('u', 'x')}\n`, 'pw');
    const answer = f.verify('nobody', pw('x'));
    expect(answer).toBeInstanceOf(Promise);
    expect(await answer).toBe(false);
  });

  it('writes new entries as mosquitto_passwd 2.0 does', async () => {
    const line = await formatEntry('alice', 'secret');
    expect(line).toMatch(/^alice:\$7\$101\$[A-Za-z0-9+/]{16}\$[A-Za-z0-9+/]{86}==$/);
    expect(await formatEntry('alice', 'secret')).not.toBe(line); // a fresh salt every time
    await expect(formatEntry('a:b', 'x')).rejects.toThrow("must not contain ':'");
    await expect(formatEntry('', 'x')).rejects.toThrow('empty');
  });
});

describe.runIf(peers.mosquitto() && peers.mosquittoClients())(
  'entries written by mqx in mosquitto 2.0',
  () => {
    let broker: RunningBroker;
    beforeAll(async () => {
      const lines = [await formatEntry('alice', 'secret'), await formatEntry('bob', 'pä:ss wörd')];
      broker = await startMosquittoWithAuth({
        passwd: `${lines.join('\n')}\n`,
        extra: 'allow_anonymous false\n',
      });
    });
    afterAll(() => broker?.stop());

    const connect = (user: string, password: string) =>
      execa('mosquitto_pub', ['-p', String(broker.port), '-u', user, '-P', password, '-t', 't', '-m', 'x'], {
        reject: false,
        all: true,
        timeout: 10_000,
      });

    it('lets the right passwords in and refuses wrong ones', async () => {
      const [a, b, wrong, unknown] = await Promise.all([
        connect('alice', 'secret'),
        connect('bob', 'pä:ss wörd'),
        connect('alice', 'secreT'),
        connect('carol', 'secret'),
      ]);
      expect([a.exitCode, b.exitCode]).toEqual([0, 0]);
      expect(wrong.all).toContain('not authorised');
      expect(unknown.all).toContain('not authorised');
    });
  },
);
