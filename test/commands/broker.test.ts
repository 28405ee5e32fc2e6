import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import mqtt from 'mqtt';
import { describe, expect, it, vi } from 'vitest';
import { formatEntry } from '../../src/broker/auth/password-file.js';
import { COURSE, COURSE_CONFIGS, coursePrefix } from '../helpers/course.js';
import { runInNetns } from '../helpers/netns.js';
import { peers } from '../helpers/peers.js';
import { runMqx, startMqxBroker, tempDir } from '../helpers/processes.js';

function hasIpv6Loopback(): boolean {
  return Object.values(os.networkInterfaces()).some((a) => a?.some((i) => i.address === '::1'));
}
const text = (bytes: Uint8Array) => Buffer.from(bytes).toString();

describe('mqx broker', () => {
  it('starts on embedded defaults: loopback only, anonymous allowed, and says so', async () => {
    const b = await startMqxBroker();
    try {
      const text = b.log.join('\n');
      expect(text).toMatch(/mqx version \d+\.\d+\.\d+ starting/);
      expect(text).toContain('Starting in local only mode');
      expect(text).toContain('Anonymous clients are allowed');
      const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${b.port}`, { reconnectPeriod: 0 });
      await c.endAsync();
    } finally {
      await b.stop();
    }
  });

  it.skipIf(!hasIpv6Loopback())(
    'local-only mode listens on ::1 as well as 127.0.0.1, on the same port',
    async () => {
      const b = await startMqxBroker();
      try {
        // The ::1 half opens once the 127.0.0.1 half has its port, so its line comes after.
        const line = `Opening ipv6 listen socket on port ${b.port}.`;
        for (let i = 0; i < 100 && !b.log.some((l) => l.endsWith(line)); i++)
          await new Promise((r) => setTimeout(r, 20));
        expect(b.log.join('\n')).toContain(line);
        for (const host of ['127.0.0.1', '::1']) {
          const r = await runMqx(['pub', '-h', host, '-p', String(b.port), '-t', 'x', '-m', 'y', '-q', '1']);
          expect([host, r.exitCode]).toEqual([host, 0]);
        }
      } finally {
        await b.stop();
      }
    },
  );

  it('--timestamps iso logs ISO 8601 local time, the form mqx bridge logs; epoch stays the default', async () => {
    const iso = await startMqxBroker(['--timestamps', 'iso']);
    const epoch = await startMqxBroker();
    try {
      expect(iso.log[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4}: mqx version /);
      expect(epoch.log[0]).toMatch(/^\d{10}: mqx version /);
    } finally {
      await Promise.all([iso.stop(), epoch.stop()]);
    }
  });

  it('-v logs connections in mosquitto style, and SIGTERM shuts down cleanly with exit 0', async () => {
    const b = await startMqxBroker(['-v']);
    const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${b.port}`, {
      reconnectPeriod: 0,
      clientId: 'log-me',
      keepalive: 30,
    });
    await c.subscribeAsync('v/t', { qos: 1 });
    await c.endAsync();
    await new Promise((r) => setTimeout(r, 200));
    b.proc.kill('SIGTERM');
    const result = await b.proc;
    const text = b.log.join('\n');
    expect(text).toMatch(new RegExp(`New connection from 127\\.0\\.0\\.1:\\d+ on port ${b.port}\\.`));
    expect(text).toMatch(/New client connected from 127\.0\.0\.1:\d+ as log-me \(p2, c1, k30\)\./);
    expect(text).toContain('log-me 1 v/t');
    expect(text).toContain('Client log-me disconnected.');
    expect(text).toContain('terminating');
    expect(result.exitCode).toBe(0);
  });

  const coursePorts: Record<(typeof COURSE_CONFIGS)[number], number> = {
    'mosquitto.conf': 1883,
    'central.conf': 1884,
    'bridge.conf': 1883,
    'challenge-bridge1.conf': 1883,
    'challenge-bridge2.conf': 1885,
    'challenge-bridge3.conf': 1886,
  };
  for (const name of COURSE_CONFIGS) {
    // --check tries the config's ports (1883...): in a network namespace of its own, never this machine's.
    it.runIf(peers.netns())(
      `--check accepts the course's ${name} as written, its paths redirected`,
      async () => {
        const prefix = coursePrefix();
        const file = path.join(COURSE, name);
        const r = await runInNetns(
          `MQX_PATH_PREFIX=${prefix} $MQX broker --check -c ${file} > "$OUT/out" 2> "$OUT/err"; echo $? > "$OUT/rc"`,
        );
        const read = (f: string) => readFileSync(path.join(r.out, f), 'utf8');
        expect(read('rc').trim(), read('err')).toBe('0');
        expect(read('err')).toBe('');
        const out = read('out');
        expect(out).toContain(`# read from ${file}`);
        expect(out).toMatch(new RegExp(`^listener ${coursePorts[name]}$`, 'm'));
        expect(out).toMatch(/^allow_anonymous true$/m);
        expect(out).toContain(`log_dest file ${prefix}/var/log/mosquitto/mosquitto.log`);
        expect(out).toContain(`persistence_location ${prefix}/var/lib/mosquitto/`);
        const warnings = out.split('\n').filter((l) => l.startsWith('# warning: '));
        expect(warnings).toEqual(
          name === 'bridge.conf'
            ? [
                `# warning: ${file}:11: 'connection bridge central': bridge names cannot contain spaces; mosquitto uses the first word, so this bridge is named 'bridge' (ignoring 'central')`,
              ]
            : [],
        );
      },
    );
  }

  it('a broker logs its config warnings at start, once', async () => {
    const file = path.join(tempDir('mqx-conf-'), 'm.conf');
    writeFileSync(file, 'listener 0 127.0.0.1\nallow_anonymous true no authentication\n');
    const b = await startMqxBroker(['-c', file]);
    await b.stop();
    const warnings = b.log.filter((l) => l.includes('ignoring the trailing words'));
    expect(warnings).toEqual([
      expect.stringMatching(
        new RegExp(
          `^\\d+: Warning: ${file}:2: 'allow_anonymous true': ignoring the trailing words 'no authentication'`,
        ),
      ),
    ]);
  });

  it.runIf(peers.netns() && peers.mosquittoClients())(
    'serves clients on port 1884 from the course central config',
    async () => {
      const prefix = coursePrefix();
      const r = await runInNetns(`
MQX_PATH_PREFIX=${prefix} $MQX broker -c ${COURSE}/central.conf > "$OUT/broker.log" 2>&1 &
wait_port 1884
mosquitto_sub -p 1884 -t srv/humidity -C 1 -W 5 > "$OUT/sub.out" &
sleep 0.4
mosquitto_pub -p 1884 -t srv/humidity -m 'humidity: 10'
wait %2
cat "$OUT/sub.out"
`);
      expect(r.stdout.trim(), r.stderr).toBe('humidity: 10');
    },
  );

  const broken: Array<[string, string, RegExp]> = [
    ['unknown directive', 'listener 1883\nalow_anonymous true\n', /:2: .*alow_anonymous/],
    ['bad port', 'port abc\n', /:1: .*port/],
    ['bad boolean', 'allow_anonymous maybe\n', /:1: .*allow_anonymous/],
    ['bridge without address', 'connection b1\ntopic a/# out 1\n', /:1: .*address/],
    [
      'bad bridge topic direction',
      'connection b1\naddress localhost:1884\ntopic a/# sideways 1\n',
      /:3: .*topic/,
    ],
    [
      'bad bridge option',
      'connection b1\naddress localhost:1884\nbridge_nonsense true\n',
      /:3: .*bridge_nonsense/,
    ],
  ];
  for (const [name, conf, pattern] of broken) {
    it(`a broken config (${name}) names file and line, exits 2, and starts nothing`, async () => {
      const file = path.join(tempDir('mqx-badconf-'), 'broken.conf');
      writeFileSync(file, conf);
      const r = await runMqx(['broker', '-c', file]);
      expect(r.exitCode).toBe(2);
      const stderr = text(r.stderr).trim();
      expect(stderr.split('\n')).toHaveLength(1);
      expect(stderr).toContain(file);
      expect(stderr).toMatch(pattern);
    });
  }

  it('--check reports bridge rules that would echo through a remote, and passes the course bridge', async () => {
    const conf = path.join(tempDir(), 'echo.conf');
    writeFileSync(
      conf,
      'allow_anonymous true\nconnection up\naddress 127.0.0.1:1884\ntopic srv/# out 1\nconnection down\naddress 127.0.0.1:1884\ntopic srv/# in 1\n',
    );
    const echo = await runMqx(['broker', '--check', '-c', conf]);
    expect(echo.exitCode).toBe(1);
    expect(text(echo.stdout)).toContain(
      `bridge topology: cycle: 'srv/any' can circulate this broker -> 127.0.0.1:1884 -> this broker through up "srv/# out 1", down "srv/# in 1"`,
    );
    const course = await runMqx(['broker', '--check', '-c', path.join(COURSE, 'challenge-bridge1.conf')], {
      env: { MQX_PATH_PREFIX: coursePrefix() },
    });
    expect(course.exitCode, text(course.stderr)).toBe(0);
    expect(text(course.stdout)).not.toContain('bridge topology');
  });

  it('an unknown flag is a usage error', async () => {
    const r = await runMqx(['broker', '--bogus-flag']);
    expect(r.exitCode).toBe(2);
    expect(text(r.stderr)).toMatch(/bogus-flag/i);
  });

  it('SIGHUP re-reads the password file: a new user can connect without a restart', async () => {
    const dir = tempDir('mqx-hup-');
    const passwd = path.join(dir, 'passwd');
    writeFileSync(passwd, `${await formatEntry('old', 'old-secret')}\n`);
    const conf = path.join(dir, 'mqx.conf');
    writeFileSync(conf, `listener 0 127.0.0.1\nallow_anonymous false\npassword_file ${passwd}\n`);
    const b = await startMqxBroker(['-c', conf]);
    try {
      const connect = (username: string, password: string) =>
        mqtt.connectAsync(`mqtt://127.0.0.1:${b.port}`, {
          reconnectPeriod: 0,
          username,
          password,
          connectTimeout: 3_000,
        });
      await (await connect('old', 'old-secret')).endAsync();
      await expect(connect('new', 'new-secret')).rejects.toThrow();
      writeFileSync(
        passwd,
        `${await formatEntry('old', 'old-secret')}\n${await formatEntry('new', 'new-secret')}\n`,
      );
      b.proc.kill('SIGHUP');
      await new Promise((r) => setTimeout(r, 500));
      await (await connect('new', 'new-secret')).endAsync();
    } finally {
      await b.stop();
    }
  });

  it('-d runs the broker in the background and returns at once', async () => {
    const dir = tempDir('mqx-daemon-');
    const conf = path.join(dir, 'd.conf');
    const { freePort, waitForPort } = await import('../helpers/ports.js');
    const port = await freePort();
    writeFileSync(
      conf,
      `listener ${port} 127.0.0.1\nallow_anonymous true\npid_file ${path.join(dir, 'pid')}\n`,
    );
    const r = await runMqx(['broker', '-d', '-c', conf]);
    expect(r.exitCode).toBe(0);
    await waitForPort(port);
    await execa('pkill', ['-f', `broker -c ${conf}`], { reject: false });
  });
});

describe('mqx broker --http', () => {
  it('exits 2 for a malformed address, and for another address than loopback without a password file', async () => {
    const malformed = await runMqx(['broker', '-p', '0', '--http', 'nope']);
    expect(malformed.exitCode).toBe(2);
    expect(Buffer.from(malformed.stderr).toString()).toMatch(/--http expects \[HOST:\]PORT/);
    const open = await runMqx(['broker', '-p', '0', '--http', '0.0.0.0:0']);
    expect(open.exitCode).toBe(2);
    expect(Buffer.from(open.stderr).toString()).toMatch(/needs a password_file/);
  });
});

describe('mqx broker --log-format json', () => {
  it('logs one JSON object per line, with the event of a client connecting', async () => {
    const broker = await startMqxBroker(['--log-format', 'json']);
    try {
      const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.port}`, {
        clientId: 'json-1',
        reconnectPeriod: 0,
      });
      await c.endAsync();
      await vi.waitFor(() => expect(broker.log.some((l) => l.includes('client_connected'))).toBe(true));
      const records = broker.log.map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(records[0]).toMatchObject({
        level: 'notice',
        event: 'log',
        message: expect.stringMatching(/^mqx version .+ starting$/),
      });
      expect(records.find((r) => r.event === 'client_connected')).toMatchObject({
        client: 'json-1',
        address: '127.0.0.1',
      });
    } finally {
      await broker.stop();
    }
  });
});
