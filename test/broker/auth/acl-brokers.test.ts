import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { peers } from '../../helpers/peers.js';
import { type RunningBroker, startMqxBroker, tempDir } from '../../helpers/processes.js';
import { ACL_CASES, ACL_FILE, ACL_USERS, type AclCase } from './acl-cases.js';
import { probeAclCases } from './acl-probe.js';
import { startMosquittoWithAuth } from './mosquitto-auth.js';

const label = (c: AclCase) => `${c.username ?? 'anonymous'} (${c.clientId}) ${c.action} ${c.topic}: ${c.why}`;

/** One password file, made by Debian's mosquitto_passwd, for both brokers. */
async function mosquittoPasswdFile(dir: string): Promise<string> {
  const file = path.join(dir, 'passwd');
  let first = true;
  for (const [user, password] of Object.entries(ACL_USERS)) {
    await execa('mosquitto_passwd', [...(first ? ['-c'] : []), '-b', file, user, password]);
    first = false;
  }
  return file;
}

describe.runIf(peers.mosquitto() && peers.mosquittoClients() && peers.mosquittoPasswd())(
  'the authentication and ACL table: mqx broker and mosquitto 2.0 decide alike, but for the marked SUBSCRIBE cases',
  () => {
    let mqx: RunningBroker;
    let mosquitto: RunningBroker;
    beforeAll(async () => {
      const dir = tempDir('mqx-acl-both-');
      const passwd = await mosquittoPasswdFile(dir);
      const { readFileSync } = await import('node:fs');
      writeFileSync(path.join(dir, 'acl'), ACL_FILE);
      const conf = path.join(dir, 'mqx.conf');
      writeFileSync(
        conf,
        `listener 0 127.0.0.1\nallow_anonymous true\npassword_file ${passwd}\nacl_file ${path.join(dir, 'acl')}\n`,
      );
      mqx = await startMqxBroker(['-c', conf]);
      mosquitto = await startMosquittoWithAuth({
        passwd: readFileSync(passwd, 'utf8'),
        acl: ACL_FILE,
        extra: 'allow_anonymous true\n',
      });
    });
    afterAll(async () => {
      await mqx?.stop();
      await mosquitto?.stop();
    });

    it(`decides all ${ACL_CASES.length} cases as recorded, the same as mosquitto`, async () => {
      const [fromMqx, fromMosquitto] = await Promise.all([
        probeAclCases(mqx.port, ACL_CASES, ACL_USERS),
        probeAclCases(mosquitto.port, ACL_CASES, ACL_USERS),
      ]);
      const wrong = ACL_CASES.flatMap((c, i) => {
        const a = fromMqx[i]!.allowed;
        const b = fromMosquitto[i]!.allowed;
        // The cases marked `mqx` are where mqx refuses a SUBSCRIBE on purpose (acl-cases.ts).
        const forMqx = c.mqx ?? c.allowed;
        return a === forMqx && b === c.allowed
          ? []
          : [
              `${label(c)}: expected mqx ${forMqx}, mosquitto ${c.allowed}; got mqx ${a}, mosquitto ${b}\n${fromMqx[i]!.output}`,
            ];
      });
      expect(wrong).toEqual([]);
    }, 90_000);
  },
);

describe.runIf(peers.mosquitto() && peers.mosquittoClients() && peers.mosquittoPasswd())(
  'authentication refusals: mqx broker and mosquitto 2.0 answer alike',
  () => {
    let mqx: RunningBroker;
    let mosquitto: RunningBroker;
    beforeAll(async () => {
      const dir = tempDir('mqx-auth-both-');
      const passwd = await mosquittoPasswdFile(dir);
      const { readFileSync } = await import('node:fs');
      const conf = path.join(dir, 'mqx.conf');
      writeFileSync(conf, `listener 0 127.0.0.1\nallow_anonymous false\npassword_file ${passwd}\n`);
      mqx = await startMqxBroker(['-c', conf]);
      mosquitto = await startMosquittoWithAuth({
        passwd: readFileSync(passwd, 'utf8'),
        extra: 'allow_anonymous false\n',
      });
    });
    afterAll(async () => {
      await mqx?.stop();
      await mosquitto?.stop();
    });

    const [user, password] = Object.entries(ACL_USERS)[0]!;
    const cases: Array<[string, string[]]> = [
      ['right password', ['-u', user, '-P', password]],
      ['wrong password', ['-u', user, '-P', `${password}x`]],
      ['unknown user', ['-u', 'nobody-here', '-P', 'x']],
      ['username without password', ['-u', user]],
      ['anonymous', []],
    ];
    for (const version of ['mqttv311', 'mqttv5']) {
      for (const [name, credentials] of cases) {
        it(`${version}, ${name}: same exit code and CONNACK`, async () => {
          const attempt = (port: number) =>
            execa(
              'mosquitto_pub',
              ['-p', String(port), '-V', version, '-t', 'auth/t', '-m', 'x', '-d', ...credentials],
              { reject: false, all: true },
            );
          const [a, b] = await Promise.all([attempt(mqx.port), attempt(mosquitto.port)]);
          const connack = (out: string | undefined) =>
            /received CONNACK \((\d+)\)/.exec(out ?? '')?.[1] ?? 'none';
          expect({ exit: a.exitCode, connack: connack(a.all) }).toEqual({
            exit: b.exitCode,
            connack: connack(b.all),
          });
          // mosquitto 2.0.11 says "not authorised" for every refusal: 5 in 3.1.1, 0x87 in 5.0.
          expect(connack(a.all)).toBe(name === 'right password' ? '0' : version === 'mqttv5' ? '135' : '5');
        });
      }
    }
  },
);
