/**
 * The real `mqx pub` / `mqx sub` binary against Debian's mosquitto and against mqx's own broker:
 * the same scenarios for both. Flags, output formats, exit codes, the course scenario.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { payloadOf } from '../../src/output/json.js';
import { peers } from '../helpers/peers.js';
import { freePort } from '../helpers/ports.js';
import {
  MQX_BIN,
  type RunningBroker,
  runMqx,
  startMosquitto,
  startMqxBroker,
  tempDir,
} from '../helpers/processes.js';
import { lines, startSub, text } from './pubsub-helpers.js';

/** Starts mqx's broker from a mosquitto.conf holding `extra`, on a free port. */
async function startMqxWith(extra: string): Promise<RunningBroker> {
  const conf = path.join(tempDir(), 'mqx.conf');
  writeFileSync(conf, `listener ${await freePort()} 127.0.0.1\nallow_anonymous true\n${extra}\n`);
  return startMqxBroker(['-c', conf]);
}

const BROKERS = [
  { name: 'mosquitto', enabled: peers.mosquitto(), start: startMosquitto },
  {
    name: 'mqx broker',
    enabled: true,
    start: (extra?: string) => (extra ? startMqxWith(extra) : startMqxBroker()),
  },
];

for (const b of BROKERS) {
  describe.runIf(b.enabled)(`mqx pub/sub against ${b.name}`, () => {
    let broker: RunningBroker;
    let p: string[];
    beforeAll(async () => {
      broker = await b.start();
      p = ['-h', '127.0.0.1', '-p', String(broker.port)];
    });
    afterAll(() => broker?.stop());

    it('delivers a message: sub -v prints "topic payload", both exit 0', async () => {
      const sub = await startSub([...p, '-t', 'e2e/basic/#', '-v', '-C', '1']);
      const pub = await runMqx(['pub', ...p, 'e2e/basic/a', '-m', 'temperature: 23']);
      expect(pub.exitCode).toBe(0);
      expect(text(pub.stdout)).toBe('');
      expect(await sub.done()).toBe(0);
      expect(text(sub.stdout())).toBe('e2e/basic/a temperature: 23\n');
    });

    it('QoS 1 and 2 both ways, per-filter QoS with filter:Q, -F %q', async () => {
      const sub = await startSub([...p, 'e2e/qos/one:1', '-t', 'e2e/qos/two:2', '-C', '2', '-F', '%t %q']);
      expect((await runMqx(['pub', ...p, '-t', 'e2e/qos/one', '-m', 'a', '-q', '1'])).exitCode).toBe(0);
      expect((await runMqx(['pub', ...p, '-t', 'e2e/qos/two', '-m', 'b', '--qos', '2'])).exitCode).toBe(0);
      expect(await sub.done()).toBe(0);
      expect(lines(sub.stdout()).sort()).toEqual(['e2e/qos/one 1', 'e2e/qos/two 2']);
    });

    it('MQTT 3.1 (-V 31 / mqttv31) works both ways', async () => {
      const sub = await startSub([...p, '-V', 'mqttv31', '-t', 'e2e/v31', '-C', '1', '-q', '1']);
      expect(
        (await runMqx(['pub', ...p, '-V', '31', '-t', 'e2e/v31', '-m', 'old school', '-q', '1'])).exitCode,
      ).toBe(0);
      expect(await sub.done()).toBe(0);
      expect(text(sub.stdout())).toBe('old school\n');
    });

    it('-l streams 100,000 lines at QoS 1: none lost, in order', async () => {
      // A broker drops QoS 1 messages for a subscriber beyond max_queued_messages (1000 by
      // default); an unbounded queue makes any loss mqx's.
      const unbounded = await b.start('max_queued_messages 0');
      const p = ['-h', '127.0.0.1', '-p', String(unbounded.port)];
      const count = 100_000;
      const input = `${Array.from({ length: count }, (_, i) => `line ${i}`).join('\n')}\n`;
      const sub = await startSub([...p, '-t', 'e2e/lines', '-q', '1', '-C', String(count)]);
      const pub = await runMqx(['pub', ...p, '-t', 'e2e/lines', '-l', '-q', '1'], {
        input,
        timeout: 120_000,
      });
      expect(text(pub.stderr)).toBe('');
      expect(pub.exitCode).toBe(0);
      expect(await sub.done()).toBe(0);
      const got = lines(sub.stdout());
      expect(got.length).toBe(count);
      expect(got.every((l, i) => l === `line ${i}`)).toBe(true);
      await unbounded.stop();
    }, 180_000);

    it('binary payloads survive -f → --json bit for bit, and -s from stdin', async () => {
      const dir = tempDir();
      const bytes = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256));
      writeFileSync(path.join(dir, 'blob.bin'), bytes);
      const sub = await startSub([...p, '-t', 'e2e/bin/+', '--json', '-C', '3']);
      await runMqx(['pub', ...p, '-t', 'e2e/bin/file', '-f', path.join(dir, 'blob.bin')]);
      await runMqx(['pub', ...p, '-t', 'e2e/bin/stdin', '-s'], { input: bytes });
      await runMqx(['pub', ...p, '-t', 'e2e/bin/text', '-m', 'héllo']);
      expect(await sub.done()).toBe(0);
      const docs = lines(sub.stdout()).map((l) => JSON.parse(l));
      expect(docs.map((d) => d.topic)).toEqual(['e2e/bin/file', 'e2e/bin/stdin', 'e2e/bin/text']);
      expect(payloadOf(docs[0]).equals(bytes)).toBe(true);
      expect(payloadOf(docs[1]).equals(bytes)).toBe(true);
      expect(docs[0].encoding).toBe('base64');
      expect(docs[2]).toMatchObject({ payload: 'héllo', qos: 0, retain: false });
      expect(docs[2].encoding).toBeUndefined();
    });

    it('retained messages: -R hides them, --retained-only prints only them, --remove-retained clears them', async () => {
      expect((await runMqx(['pub', ...p, '-t', 'e2e/ret/a', '-m', 'kept', '-r'])).exitCode).toBe(0);
      const hidden = await runMqx(['sub', ...p, '-t', 'e2e/ret/#', '-R', '-W', '1']);
      expect(hidden.exitCode).toBe(5);
      expect(text(hidden.stdout)).toBe('');
      const only = await runMqx(['sub', ...p, '-t', 'e2e/ret/#', '--retained-only', '-v', '-C', '1']);
      expect(only.exitCode).toBe(0);
      expect(text(only.stdout)).toBe('e2e/ret/a kept');
      const removed = await runMqx(['sub', ...p, '-t', 'e2e/ret/#', '--remove-retained', '-C', '1']);
      expect(removed.exitCode).toBe(0);
      const after = await runMqx(['sub', ...p, '-t', 'e2e/ret/#', '-W', '1']);
      expect(after.exitCode).toBe(5);
      expect(text(after.stdout)).toBe('');
    });

    it('-W exits 5 with a one-line error; -C ends early; -E exits once subscribed', async () => {
      const timeout = await runMqx(['sub', ...p, '-t', 'e2e/none', '-W', '0.5']);
      expect(timeout.exitCode).toBe(5);
      expect(lines(timeout.stderr)).toHaveLength(1);
      expect(text(timeout.stderr)).toMatch(/^mqx: timed out/);
      const e = await runMqx(['sub', ...p, '-t', 'e2e/none', '-E']);
      expect(e.exitCode).toBe(0);
    });

    it('-T filters topics out, -N drops newlines, --output appends to a file', async () => {
      const file = path.join(tempDir(), 'out.txt');
      const sub = await startSub([
        ...p,
        '-t',
        'e2e/t/#',
        '-T',
        'e2e/t/hidden/#',
        '-N',
        '-C',
        '2',
        '--output',
        file,
      ]);
      for (const [topic, m] of [
        ['e2e/t/hidden/x', 'H'],
        ['e2e/t/a', 'A'],
        ['e2e/t/b', 'B'],
      ]) {
        await runMqx(['pub', ...p, '-t', topic!, '-m', m!]);
      }
      expect(await sub.done()).toBe(0);
      expect(text(sub.stdout())).toBe('');
      expect(readFileSync(file, 'utf8')).toBe('AB');
    });

    it('-U unsubscribes after subscribing', async () => {
      const sub = await startSub([...p, '-t', 'e2e/u/a', '-t', 'e2e/u/b', '-U', 'e2e/u/a', '-v', '-C', '1']);
      await runMqx(['pub', ...p, '-t', 'e2e/u/a', '-m', 'gone']);
      await runMqx(['pub', ...p, '-t', 'e2e/u/b', '-m', 'here']);
      expect(await sub.done()).toBe(0);
      expect(text(sub.stdout())).toBe('e2e/u/b here\n');
    });

    it('MQTT 5: -D user properties and content type reach the subscriber (-F %P %C, --json)', async () => {
      const sub = await startSub([...p, '-V', '5', '-t', 'e2e/v5', '-C', '1', '-F', '%P|%C|%p']);
      const pub = await runMqx([
        'pub',
        ...p,
        '-V',
        'mqttv5',
        '-t',
        'e2e/v5',
        '-m',
        'x',
        '-D',
        'publish',
        'user-property',
        'site',
        'lab',
        '-D',
        'publish',
        'content-type',
        'text/plain',
      ]);
      expect(pub.exitCode).toBe(0);
      expect(await sub.done()).toBe(0);
      expect(text(sub.stdout())).toBe('site:lab|text/plain|x\n');
    });

    it('--repeat and --interval publish several times; -L takes host, port and topic from a URL', async () => {
      const sub = await startSub([...p, '-t', 'e2e/rep', '-C', '3']);
      const pub = await runMqx([
        'pub',
        '-L',
        `mqtt://127.0.0.1:${broker.port}/e2e/rep`,
        '-m',
        'r',
        '--repeat',
        '3',
        '--interval',
        '0.05',
      ]);
      expect(pub.exitCode).toBe(0);
      expect(await sub.done()).toBe(0);
      expect(text(sub.stdout())).toBe('r\nr\nr\n');
    });

    it('takes the broker from MQX_HOST / MQX_PORT', async () => {
      const env = { MQX_HOST: '127.0.0.1', MQX_PORT: String(broker.port) };
      const sub = await startSub(['-t', 'e2e/env', '-C', '1'], env);
      expect((await runMqx(['pub', '-t', 'e2e/env', '-m', 'from env'], { env })).exitCode).toBe(0);
      expect(await sub.done()).toBe(0);
      expect(text(sub.stdout())).toBe('from env\n');
    });

    it('a persistent session (-c -i) keeps QoS 1 messages while the subscriber is away', async () => {
      const id = `e2e-persist-${b.name.replace(/\W/g, '')}`;
      expect(
        (await runMqx(['sub', ...p, '-c', '-i', id, '-q', '1', '-t', 'e2e/persist', '-E'])).exitCode,
      ).toBe(0);
      expect((await runMqx(['pub', ...p, '-t', 'e2e/persist', '-m', 'while away', '-q', '1'])).exitCode).toBe(
        0,
      );
      const back = await runMqx([
        'sub',
        ...p,
        '-c',
        '-i',
        id,
        '-q',
        '1',
        '-t',
        'e2e/persist',
        '-C',
        '1',
        '-W',
        '5',
      ]);
      expect(back.exitCode).toBe(0);
      expect(text(back.stdout)).toBe('while away');
    });

    it('publishes the will when a client dies', async () => {
      const watcher = await startSub([...p, '-t', 'e2e/will', '-C', '1', '-v']);
      const doomed = await startSub([
        ...p,
        '-t',
        'e2e/whatever',
        '--will-topic',
        'e2e/will',
        '--will-payload',
        'gone',
      ]);
      doomed.proc.kill('SIGKILL');
      expect(await watcher.done()).toBe(0);
      expect(text(watcher.stdout())).toBe('e2e/will gone\n');
    });

    it('SIGINT ends sub with exit code 130', async () => {
      const sub = await startSub([...p, '-t', 'e2e/int']);
      sub.proc.kill('SIGINT');
      expect(await sub.done()).toBe(130);
    });

    it('MQTT 5 --topic-aliases: repeats go by alias alone, and every message arrives under its topic', async () => {
      const sub = await startSub([...p, '-V', '5', '-t', 'e2e/alias/#', '-C', '6', '-v']);
      const pub = await runMqx([
        'pub',
        ...p,
        '-V',
        '5',
        '--topic-aliases',
        '-t',
        'e2e/alias/a',
        '-t',
        'e2e/alias/b',
        '-m',
        'm',
        '--repeat',
        '3',
        '-q',
        '1',
        '--debug',
      ]);
      expect(pub.exitCode).toBe(0);
      const sent = text(pub.stderr)
        .split('\n')
        .filter((l) => l.startsWith('→ PUBLISH'));
      expect(sent.map((l) => /topic=(\S*) .*"topicAlias":(\d+)/.exec(l)?.slice(1))).toEqual([
        ['e2e/alias/a', '1'],
        ['e2e/alias/b', '2'],
        ['', '1'],
        ['', '2'],
        ['', '1'],
        ['', '2'],
      ]);
      expect(await sub.done()).toBe(0);
      expect(lines(sub.stdout()).sort()).toEqual([
        'e2e/alias/a m',
        'e2e/alias/a m',
        'e2e/alias/a m',
        'e2e/alias/b m',
        'e2e/alias/b m',
        'e2e/alias/b m',
      ]);
    });

    it('--debug traces packets on stderr and leaves stdout to the data', async () => {
      const sub = await startSub([...p, '-t', 'e2e/dbg', '-C', '1']);
      const pub = await runMqx(['pub', ...p, '-t', 'e2e/dbg', '-m', 'd', '-q', '1', '--debug']);
      expect(text(pub.stderr)).toMatch(
        /→ CONNECT .*\n← CONNACK .*\n→ PUBLISH topic=e2e\/dbg qos=1.*\n← PUBACK/,
      );
      expect(text(pub.stdout)).toBe('');
      expect(await sub.done()).toBe(0);
    });

    it('the course scenario: temperature at QoS 2 and humidity, simulated, seen by sub srv/#', async () => {
      const sub = await startSub([...p, '-t', 'srv/#', '-v', '-C', '6']);
      const sim = ['--simulate', '--count', '3', '--interval', '0.1'];
      const [t, h] = await Promise.all([
        runMqx(['pub', ...p, 'srv/temperature', '--qos', '2', ...sim, '--seed', '1']),
        runMqx(['pub', ...p, 'srv/humidity', ...sim]),
      ]);
      expect([t.exitCode, h.exitCode]).toEqual([0, 0]);
      expect(await sub.done()).toBe(0);
      const got = lines(sub.stdout());
      expect(got.filter((l) => /^srv\/temperature temperature: \d+(\.\d)?$/.test(l))).toHaveLength(3);
      expect(got.filter((l) => /^srv\/humidity humidity: \d+(\.\d)?$/.test(l))).toHaveLength(3);
    });

    it('--simulate --format json --devices N: one reading per device, JSON with sensor/value/unit/ts', async () => {
      const sub = await startSub([...p, '-t', 'e2e/dev/+/humidity', '-v', '-C', '2']);
      const pub = await runMqx([
        'pub',
        ...p,
        'e2e/dev/%i/humidity',
        '--simulate',
        '--count',
        '1',
        '--devices',
        '2',
        '--format',
        'json',
      ]);
      expect(pub.exitCode).toBe(0);
      expect(await sub.done()).toBe(0);
      const got = lines(sub.stdout()).sort();
      expect(got.map((l) => l.split(' ')[0])).toEqual(['e2e/dev/1/humidity', 'e2e/dev/2/humidity']);
      const doc = JSON.parse(got[0]!.slice(got[0]!.indexOf(' ') + 1));
      expect(doc).toMatchObject({ sensor: 'humidity', unit: '%RH' });
      expect(doc.value).toBeGreaterThanOrEqual(20);
      expect(doc.value).toBeLessThanOrEqual(80);
      expect(Number.isNaN(Date.parse(doc.ts))).toBe(false);
    });

    it('--seed makes simulated values reproducible', async () => {
      const run = async () => {
        const sub = await startSub([...p, '-t', 'e2e/seed', '-C', '3']);
        await runMqx([
          'pub',
          ...p,
          'e2e/seed',
          '--simulate',
          'temperature',
          '--count',
          '3',
          '--interval',
          '0',
          '--seed',
          '42',
        ]);
        await sub.done();
        return text(sub.stdout());
      };
      const first = await run();
      expect(first).toMatch(/^(temperature: \d+(\.\d)?\n){3}$/);
      expect(await run()).toBe(first);
    });

    describe('bad input: one line on stderr and the documented exit code', () => {
      it.each([
        ['a wildcard in a pub topic', ['pub', '-t', 'a/#', '-m', 'x'], 2, /wildcard/],
        ['an invalid filter', ['sub', '-t', 'a/#/b'], 2, /#/],
        ['QoS 3', ['pub', '-t', 'a', '-m', 'x', '-q', '3'], 2, /qos/i],
        ['a missing file', ['pub', '-t', 'a', '-f', '/nonexistent/file'], 2, /ENOENT/],
        ['no message', ['pub', '-t', 'a'], 2, /no message/],
        ['no topic', ['pub', '-m', 'x'], 2, /no topic/],
        ['a bad -F specifier', ['sub', '-t', 'a', '-F', '%Z'], 2, /format specifier/],
        ['an unknown flag', ['pub', '-t', 'a', '-m', 'x', '--bogus'], 2, /bogus/],
        ['an unknown sensor', ['pub', '-t', 'a', '--simulate', 'pressure'], 2, /--simulate/],
        ['--devices without %i', ['pub', '-t', 'a', '--simulate', '--devices', '2'], 2, /%i/],
        ['--topic-aliases on MQTT 3.1.1', ['pub', '-t', 'a', '-m', 'x', '--topic-aliases'], 2, /-V 5/],
      ])('%s', async (_name, args, code, message) => {
        const r = await runMqx([...(args as string[]).slice(0, 1), ...p, ...(args as string[]).slice(1)]);
        expect(r.exitCode).toBe(code);
        expect(text(r.stderr)).toMatch(message as RegExp);
        expect(text(r.stdout)).toBe('');
      });
    });
  });
}

describe('exit codes without a broker', () => {
  it('an unreachable broker exits 3 at once (reconnect is off)', async () => {
    const port = await freePort();
    for (const cmd of [
      ['pub', '-t', 'a', '-m', 'x'],
      ['sub', '-t', 'a'],
    ]) {
      const started = Date.now();
      const r = await runMqx([...cmd, '-h', '127.0.0.1', '-p', String(port)]);
      expect(r.exitCode).toBe(3);
      expect(lines(r.stderr)).toHaveLength(1);
      expect(text(r.stderr)).toMatch(/ECONNREFUSED/);
      expect(Date.now() - started).toBeLessThan(5000);
    }
  });

  it('--reconnect with --connect-timeout waits for the broker, then exits 5', async () => {
    const port = await freePort();
    const r = await runMqx(['sub', '-t', 'a', '-p', String(port), '--reconnect', '--connect-timeout', '1']);
    expect(r.exitCode).toBe(5);
  });
});

describe.runIf(peers.mosquitto() && peers.mosquittoPasswd())('authentication against mosquitto', () => {
  let broker: RunningBroker;
  beforeAll(async () => {
    const dir = tempDir();
    // mosquitto started as root reads its files as the mosquitto user.
    chmodSync(dir, 0o755);
    const pwfile = path.join(dir, 'passwd');
    writeFileSync(pwfile, '');
    execFileSync('mosquitto_passwd', ['-b', pwfile, 'alice', 'secret']);
    writeFileSync(path.join(dir, 'acl'), 'user alice\ntopic readwrite ok/#\n');
    chmodSync(pwfile, 0o644);
    broker = await startMosquitto(
      `allow_anonymous false\npassword_file ${pwfile}\nacl_file ${path.join(dir, 'acl')}\n`,
    );
  });
  afterAll(() => broker?.stop());

  it('a wrong password exits 4 naming the CONNACK code', async () => {
    const r = await runMqx([
      'pub',
      '-p',
      String(broker.port),
      '-u',
      'alice',
      '-P',
      'wrong',
      '-t',
      'ok/a',
      '-m',
      'x',
    ]);
    expect(r.exitCode).toBe(4);
    expect(text(r.stderr)).toMatch(/^mqx: connection refused: NotAuthorized \(5\)$/);
    const v5 = await runMqx([
      'pub',
      '-p',
      String(broker.port),
      '-V',
      '5',
      '-u',
      'alice',
      '-P',
      'wrong',
      '-t',
      'ok/a',
      '-m',
      'x',
    ]);
    expect(v5.exitCode).toBe(4);
    expect(text(v5.stderr)).toMatch(/NotAuthorized \(0x87\)|BadUserNameOrPassword \(0x86\)/);
  });

  it('the right password from MQX_PASSWORD or --password-file works', async () => {
    const env = { MQX_USERNAME: 'alice', MQX_PASSWORD: 'secret' };
    expect(
      (await runMqx(['pub', '-p', String(broker.port), '-t', 'ok/a', '-m', 'x'], { env })).exitCode,
    ).toBe(0);
    const file = path.join(tempDir(), 'pw');
    writeFileSync(file, 'secret\n');
    expect(
      (
        await runMqx([
          'pub',
          '-p',
          String(broker.port),
          '-u',
          'alice',
          '--password-file',
          file,
          '-t',
          'ok/a',
          '-m',
          'x',
        ])
      ).exitCode,
    ).toBe(0);
  });

  it('a QoS 1 publish the broker refuses (MQTT 5 PUBACK 0x87) exits 6', async () => {
    const r = await runMqx([
      'pub',
      '-p',
      String(broker.port),
      '-V',
      '5',
      '-u',
      'alice',
      '-P',
      'secret',
      '-t',
      'denied',
      '-m',
      'x',
      '-q',
      '1',
    ]);
    expect(r.exitCode).toBe(6);
    expect(text(r.stderr)).toMatch(/rejected: NotAuthorized \(0x87\)/);
  });
});

describe.runIf(peers.mosquitto())('WebSocket transport against mosquitto', () => {
  let broker: RunningBroker;
  let wsPort: number;
  beforeAll(async () => {
    wsPort = await freePort();
    broker = await startMosquitto(`listener ${wsPort} 127.0.0.1\nprotocol websockets\n`);
  });
  afterAll(() => broker?.stop());

  it('pub and sub over ws:// (-L)', async () => {
    const sub = await startSub(['-L', `ws://127.0.0.1:${wsPort}`, '-t', 'ws/x', '-C', '1']);
    const pub = await runMqx([
      'pub',
      '-L',
      `ws://127.0.0.1:${wsPort}/mqtt`,
      '-t',
      'ws/x',
      '-m',
      'over websocket',
      '-q',
      '1',
    ]);
    expect(pub.exitCode).toBe(0);
    expect(await sub.done()).toBe(0);
    expect(text(sub.stdout())).toBe('over websocket\n');
  });
});

describe.runIf(peers.mosquitto() && peers.openssl())('TLS against mosquitto', () => {
  let broker: RunningBroker;
  let tlsPort: number;
  let dir: string;
  beforeAll(async () => {
    dir = tempDir();
    chmodSync(dir, 0o755); // mosquitto started as root reads its files as the mosquitto user
    const sh = (cmd: string) => execFileSync('sh', ['-c', cmd], { cwd: dir, stdio: 'ignore' });
    sh('openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -subj /CN=mqx-test-ca -days 2');
    sh('openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj /CN=localhost');
    writeFileSync(path.join(dir, 'ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
    sh(
      'openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt -days 2 -extfile ext',
    );
    sh('chmod 644 *');
    tlsPort = await freePort();
    broker = await startMosquitto(
      `listener ${tlsPort} 127.0.0.1\ncafile ${dir}/ca.crt\ncertfile ${dir}/server.crt\nkeyfile ${dir}/server.key\n`,
    );
  });
  afterAll(() => broker?.stop());

  it('--cafile turns TLS on and verifies the server; mqtts:// URLs work too', async () => {
    const ca = path.join(dir, 'ca.crt');
    const sub = await startSub(['-L', `mqtts://localhost:${tlsPort}/tls/x`, '--cafile', ca, '-C', '1']);
    const pub = await runMqx([
      'pub',
      '-h',
      'localhost',
      '-p',
      String(tlsPort),
      '--cafile',
      ca,
      '--tls-version',
      'tlsv1.2',
      '-t',
      'tls/x',
      '-m',
      'secret',
    ]);
    expect(text(pub.stderr)).toBe('');
    expect(pub.exitCode).toBe(0);
    expect(await sub.done()).toBe(0);
    expect(text(sub.stdout())).toBe('secret\n');
  });

  it('an untrusted certificate exits 3; --insecure accepts it', async () => {
    const untrusted = await runMqx(['pub', '-L', `mqtts://127.0.0.1:${tlsPort}/tls/y`, '-m', 'x']);
    expect(untrusted.exitCode).toBe(3);
    expect(text(untrusted.stderr)).toMatch(/certificate/i);
    const insecure = await runMqx([
      'pub',
      '-L',
      `mqtts://127.0.0.1:${tlsPort}/tls/y`,
      '--insecure',
      '-m',
      'x',
    ]);
    expect(insecure.exitCode).toBe(0);
  });
});

describe.runIf(peers.mosquitto())('MQTT 5 subscription options and reconnecting, against mosquitto', () => {
  let broker: RunningBroker;
  let p: string[];
  beforeAll(async () => {
    broker = await startMosquitto();
    p = ['-h', '127.0.0.1', '-p', String(broker.port), '-V', '5'];
  });
  afterAll(() => broker?.stop());

  it('--retain-handling 2 skips retained messages; --retain-as-published keeps the flag (-F %r)', async () => {
    await runMqx(['pub', ...p, '-t', 'opt/r', '-m', 'old', '-r']);
    const rh = await runMqx(['sub', ...p, '-t', 'opt/r', '--retain-handling', '2', '-W', '1']);
    expect(rh.exitCode).toBe(5);
    expect(text(rh.stdout)).toBe('');
    const sub = await startSub([
      ...p,
      '-t',
      'opt/rap',
      '--retain-as-published',
      '--retain-handling',
      '2',
      '-C',
      '1',
      '-F',
      '%r %p',
    ]);
    await runMqx(['pub', ...p, '-t', 'opt/rap', '-m', 'live', '-r']);
    expect(await sub.done()).toBe(0);
    expect(text(sub.stdout())).toBe('1 live\n');
    const v4 = await runMqx(['sub', '-p', String(broker.port), '-t', 'x', '--no-local']);
    expect(v4.exitCode).toBe(2);
  });

  it('sub --reconnect survives a broker restart and resubscribes', async () => {
    const port = await freePort();
    const conf = path.join(tempDir(), 'm.conf');
    writeFileSync(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\n`);
    const start = () => execa('/usr/sbin/mosquitto', ['-c', conf], { reject: false, stdin: 'ignore' });
    let first = start();
    const sub = await startSub([
      '-p',
      String(port),
      '-t',
      'rc/x',
      '-C',
      '1',
      '--reconnect',
      '--reconnect-max-delay',
      '0.3',
    ]);
    first.kill('SIGTERM');
    await first;
    first = start();
    try {
      // Publish until the resubscribed client has it (the restart takes a moment).
      for (let i = 0; i < 100 && sub.proc.exitCode === null; i++) {
        await runMqx([
          'pub',
          '-p',
          String(port),
          '-t',
          'rc/x',
          '-m',
          'back',
          '--reconnect',
          '--connect-timeout',
          '5',
        ]);
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(await sub.done()).toBe(0);
      expect(text(sub.stdout())).toBe('back\n');
      expect(sub.stderr()).toMatch(/reconnecting in/);
    } finally {
      first.kill('SIGTERM');
      await first;
    }
  }, 90_000);
});

describe('help', () => {
  it('--help documents -h as the host (yargs help is --help only)', async () => {
    for (const cmd of ['pub', 'sub']) {
      const r = await runMqx([cmd, '--help']);
      expect(r.exitCode).toBe(0);
      expect(text(r.stdout)).toMatch(/-h, --host/);
    }
  });
});

const hasScript =
  spawnSync('sh', ['-c', 'command -v script && command -v timeout'], { stdio: 'ignore' }).status === 0;

describe.runIf(peers.mosquitto() && hasScript)('on a terminal', () => {
  let broker: RunningBroker;
  beforeAll(async () => {
    broker = await startMosquitto();
  });
  afterAll(() => broker?.stop());

  it('SIGINT prints a one-line summary (messages, rate) and exits 130', async () => {
    // script(1) gives mqx a pseudo-terminal; timeout sends the SIGINT a user's Ctrl-C would.
    const cmd = `stty cols 80; timeout --preserve-status -s INT 3 node ${MQX_BIN} sub -p ${broker.port} -t tty/x`;
    const r = await execa('script', ['-qec', cmd, '/dev/null'], {
      reject: false,
      env: { NO_COLOR: '' },
      timeout: 30_000,
    });
    expect(r.exitCode).toBe(130);
    expect(r.stdout).toMatch(/0 messages received in \d+\.\d s \(0\.0 msg\/s\)/);
  });
});
