/**
 * `mqx broker --check` exits 0 only when `mqx broker` would start: the course configs pass (paths
 * redirected with MQX_PATH_PREFIX, ports moved to free ones so no test touches 1883), and each
 * missing file, uncreatable directory or taken port fails with its one line and exit 2.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { COURSE, COURSE_CONFIGS } from '../helpers/course.js';
import { freePort } from '../helpers/ports.js';
import { runMqx, tempDir } from '../helpers/processes.js';

const text = (b: unknown) => Buffer.from(b as Uint8Array).toString();

/** The course's configs, as a student types them (../shared/reference/course). */
function courseConfigs(): string[] {
  return COURSE_CONFIGS.map((name) => path.join(COURSE, name));
}

function prefixDir(): string {
  const dir = tempDir('mqx-check-');
  mkdirSync(path.join(dir, 'etc/mosquitto/conf.d'), { recursive: true });
  return dir;
}

async function check(conf: string, env: Record<string, string> = {}) {
  const r = await runMqx(['broker', '--check', '-c', conf], { env });
  const stderr = text(r.stderr);
  expect(stderr.split('\n').filter((l) => l.startsWith('    at '))).toEqual([]);
  return { exitCode: r.exitCode, stderr };
}

const held: net.Server[] = [];
afterEach(() => {
  for (const s of held.splice(0)) s.close();
});

describe('mqx broker --check', () => {
  it('passes every course config, with its paths redirected and its ports free', async () => {
    const configs = courseConfigs();
    expect(configs.length).toBeGreaterThanOrEqual(4);
    for (const original of configs) {
      const port = await freePort();
      // Only the port line changes: a test never binds 1883.
      const body = readFileSync(original, 'utf8').replace(/^(port|listener) \d+/gm, `$1 ${port}`);
      const conf = path.join(tempDir('mqx-check-conf-'), path.basename(original));
      writeFileSync(conf, body);
      const r = await check(conf, { MQX_PATH_PREFIX: prefixDir() });
      expect([original, r.exitCode, r.stderr]).toEqual([original, 0, '']);
    }
  });

  it('fails with one line and exit 2 for each file, directory or port start-up would trip on', async () => {
    const dir = tempDir('mqx-check-bad-');
    const taken = net.createServer();
    held.push(taken);
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const takenPort = (taken.address() as net.AddressInfo).port;
    const cases: Array<[string, string, RegExp]> = [
      [
        'password file',
        `password_file ${dir}/missing-passwd`,
        /cannot read password_file .*missing-passwd: no such file/,
      ],
      ['ACL file', `acl_file ${dir}/missing-acl`, /cannot read acl_file .*missing-acl: no such file/],
      [
        'certificate',
        `certfile ${dir}/c.pem\nkeyfile /etc/hostname`,
        /cannot read certfile .*c\.pem: no such file/,
      ],
      [
        'log directory',
        'log_dest file /etc/hostname/logs/mqx.log',
        /cannot create the log directory \/etc\/hostname\/logs: a part of the path is not a directory/,
      ],
      [
        'persistence',
        'persistence true\npersistence_location /etc/hostname/db/',
        /cannot create persistence_location \/etc\/hostname\/db\/: a part of the path is not a directory/,
      ],
      ['include_dir', `include_dir ${dir}/missing.d`, /include_dir.*missing\.d/],
    ];
    for (const [name, directive, message] of cases) {
      const conf = path.join(dir, `${name.replace(/\W/g, '-')}.conf`);
      writeFileSync(conf, `listener ${await freePort()} 127.0.0.1\n${directive}\n`);
      const r = await check(conf);
      expect([name, r.exitCode]).toEqual([name, 2]);
      expect(r.stderr).toMatch(message);
      expect([name, r.stderr.trim().split('\n').length]).toEqual([name, 1]);
    }
    const conf = path.join(dir, 'port.conf');
    writeFileSync(conf, `listener ${takenPort} 127.0.0.1\n`);
    const r = await check(conf);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toBe(
      `mqx: port ${takenPort} is already in use (127.0.0.1:${takenPort}): another broker holds it, perhaps the mosquitto service (sudo systemctl stop mosquitto); or choose another port with -p`,
    );
  });
});
