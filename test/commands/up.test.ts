/**
 * `mqx up` through the real binary: the course's challenge, a triangle of `both` rules against a
 * chain, Ctrl-C, and broken labs. Ports come from --port-base, never 1883.
 */

import { readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { COURSE, coursePrefix } from '../helpers/course.js';
import { freePortRange, portIsFree } from '../helpers/ports.js';
import { MQX_BIN, ROOT, runMqx, tempDir } from '../helpers/processes.js';

const LABS = path.join(ROOT, 'test/fixtures/labs');
const text = (b: Uint8Array | string | undefined) => Buffer.from(b ?? '').toString();

/** `subscriber NAME on BROKER: topic N of M, ...` lines of a bounded run, as NAME → topic → [N, M]. */
function counts(stdout: string): Map<string, Map<string, [number, number]>> {
  const result = new Map<string, Map<string, [number, number]>>();
  for (const m of stdout.matchAll(/^subscriber (\S+) on \S+: (.*)$/gm)) {
    const topics = new Map<string, [number, number]>();
    for (const t of m[2]!.matchAll(/(\S+) (\d+) of (\d+)/g)) topics.set(t[1]!, [Number(t[2]), Number(t[3])]);
    result.set(m[1]!, topics);
  }
  return result;
}

describe('mqx up', () => {
  it('lists and prints the built-in labs; a printed lab is a lab file', async () => {
    const list = await runMqx(['up', '--examples']);
    expect(text(list.stdout)).toMatch(/^course-bridge .*\ncourse-challenge /m);
    const printed = await runMqx(['up', '--example', 'course-challenge', '--print']);
    const file = path.join(tempDir(), 'challenge.json');
    writeFileSync(file, text(printed.stdout));
    const check = await runMqx(['up', '--check', file]);
    expect(text(check.stdout)).toContain('4 brokers, 3 bridges: no findings');
    expect(check.exitCode).toBe(0);
  });

  it('course-challenge: every subscriber gets temperature and humidity, each exactly once', async () => {
    const base = await freePortRange(4);
    const run = await runMqx(
      ['up', '--example', 'course-challenge', '--for', '20', '--port-base', String(base)],
      {
        timeout: 60_000,
      },
    );
    const out = text(run.stdout);
    expect(run.exitCode, `${out}\n${text(run.stderr)}`).toBe(0);
    expect(out).toContain(`central:${base + 1} bridge1:${base} bridge2:${base + 2} bridge3:${base + 3}`);
    const got = counts(out);
    expect([...got.keys()].sort()).toEqual(['sub-bridge1', 'sub-bridge2', 'sub-bridge3', 'sub-central']);
    for (const [name, topics] of got) {
      for (const topic of ['srv/temperature', 'srv/humidity']) {
        const [received, sent] = topics.get(topic) ?? [0, 0];
        expect(sent, `${name} ${topic}`).toBeGreaterThanOrEqual(15);
        expect(received, `${name} ${topic}`).toBe(sent);
      }
    }
  }, 90_000);

  it("the course's own configs in a lab: unchanged on disk, ports and bridge addresses moved in memory", async () => {
    const base = await freePortRange(4);
    const dir = tempDir();
    const lab = path.join(dir, 'course.yaml');
    const conf = (name: string) => path.join(COURSE, name);
    writeFileSync(
      lab,
      [
        'brokers:',
        `  central: { config: ${conf('central.conf')} }`,
        `  bridge1: { config: ${conf('challenge-bridge1.conf')} }`,
        `  bridge2: { config: ${conf('challenge-bridge2.conf')} }`,
        `  bridge3: { config: ${conf('challenge-bridge3.conf')} }`,
        'publishers:',
        '  - { broker: bridge1, topic: srv/humidity, simulate: humidity, qos: 2 }',
        '  - { broker: bridge2, topic: srv/temperature, simulate: temperature, qos: 2 }',
        'subscribers:',
        '  - { name: central, broker: central, filter: "srv/#", qos: 2 }',
        '  - { name: bridge1, broker: bridge1, filter: "srv/#", qos: 2 }',
      ].join('\n'),
    );
    const before = readFileSync(conf('challenge-bridge3.conf'), 'utf8');
    const prefix = coursePrefix();
    const check = await runMqx(['up', '--check', lab], { env: { MQX_PATH_PREFIX: prefix } });
    expect(text(check.stdout)).toContain('4 brokers, 3 bridges: no findings');
    const run = await runMqx(['up', lab, '--for', '6', '--port-base', String(base)], {
      env: { MQX_PATH_PREFIX: prefix },
      timeout: 60_000,
    });
    const out = text(run.stdout);
    expect(run.exitCode, `${out}\n${text(run.stderr)}`).toBe(0);
    expect(out).toContain(`central:${base + 1} bridge1:${base} bridge2:${base + 2} bridge3:${base + 3}`);
    for (const [name, topics] of counts(out))
      for (const topic of ['srv/humidity', 'srv/temperature']) {
        const [received, sent] = topics.get(topic) ?? [0, 0];
        expect(sent, `${name} ${topic}`).toBeGreaterThanOrEqual(4);
        expect(received, `${name} ${topic}`).toBe(sent);
      }
    expect(readFileSync(conf('challenge-bridge3.conf'), 'utf8')).toBe(before);
  }, 90_000);

  it('a triangle of both rules: --check names the cycle and the duplicate path; a chain passes', async () => {
    const triangle = await runMqx(['up', '--check', path.join(LABS, 'triangle.yaml')]);
    expect(triangle.exitCode).toBe(1);
    expect(text(triangle.stdout)).toContain(
      `cycle: 'lab/a' can circulate a -> b -> c -> a through ab "lab/# both 1", bc "lab/# both 1", ca "lab/# both 1"`,
    );
    expect(text(triangle.stdout)).toMatch(/^duplicate path: 'lab\/a' published on a reaches c twice: /m);
    const chain = await runMqx(['up', '--check', path.join(LABS, 'chain.yaml')]);
    expect(chain.exitCode).toBe(0);
    expect(text(chain.stdout)).toContain('no findings');
  });

  it('refuses to start the triangle without --force; with it, each broker gets each message once', async () => {
    const base = await freePortRange(3);
    const lab = path.join(LABS, 'triangle.yaml');
    const refused = await runMqx(['up', lab, '--port-base', String(base), '--for', '3']);
    expect(refused.exitCode).toBe(1);
    expect(text(refused.stderr)).toMatch(/not started: 2 finding\(s\) above; --force starts it anyway/);
    const run = await runMqx(['up', lab, '--force', '--for', '6', '--port-base', String(base)], {
      timeout: 60_000,
    });
    expect(run.exitCode, text(run.stderr)).toBe(0);
    const got = counts(text(run.stdout));
    expect(got.size).toBe(3);
    for (const [name, topics] of got)
      for (const topic of ['lab/a', 'lab/b']) {
        const [received, sent] = topics.get(topic)!;
        expect(sent).toBeGreaterThanOrEqual(5);
        expect(received, `${name} ${topic}`).toBe(sent);
      }
  }, 90_000);

  it('a standalone bridge in the triangle: each broker still gets each message once', async () => {
    const base = await freePortRange(3);
    const lab = path.join(LABS, 'triangle-standalone.yaml');
    const run = await runMqx(['up', lab, '--force', '--for', '4', '--port-base', String(base)], {
      timeout: 60_000,
    });
    expect(run.exitCode, text(run.stderr)).toBe(0);
    const got = counts(text(run.stdout));
    expect(got.size).toBe(3);
    for (const [name, topics] of got)
      for (const [topic, [received, sent]] of topics) {
        expect(sent, `${name} ${topic}`).toBeGreaterThanOrEqual(3);
        expect(received, `${name} ${topic}`).toBe(sent);
      }
  }, 60_000);

  it('Ctrl-C stops everything and exits 0, leaving no listening port', async () => {
    const base = await freePortRange(2);
    const proc = execa('node', [MQX_BIN, 'up', '--example', 'course-bridge', '--port-base', String(base)], {
      reject: false,
      stdin: 'ignore',
      env: { NO_COLOR: '1' },
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the lab did not come up')), 20_000);
      proc.stdout?.on('data', (c: Buffer) => {
        if (c.toString().includes('lab up:')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    expect(await portIsFree(base)).toBe(false);
    await new Promise((r) => setTimeout(r, 300));
    proc.kill('SIGINT');
    const result = await proc;
    expect(result.exitCode, `signal ${result.signal}; ${String(result.stderr)}`).toBe(0);
    expect(String(result.stdout)).toMatch(/lab stopped$/);
    expect(await portIsFree(base)).toBe(true);
    expect(await portIsFree(base + 1)).toBe(true);
  }, 60_000);

  it('a broken lab exits non-zero with one line: a port in use, a bad rule, an unknown broker', async () => {
    const dir = tempDir();
    const busy = net.createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', () => r()));
    const port = (busy.address() as net.AddressInfo).port;
    const write = (name: string, body: string) => {
      const file = path.join(dir, name);
      writeFileSync(file, body);
      return file;
    };
    try {
      const inUse = await runMqx([
        'up',
        write('busy.yaml', `brokers:\n  a: { port: ${port} }\n`),
        '--for',
        '2',
      ]);
      expect(inUse.exitCode).toBe(1);
      expect(text(inUse.stderr)).toMatch(
        new RegExp(`^mqx: lab: broker a \\(port ${port}\\): port ${port} is already in use [^\\n]*$`),
      );
    } finally {
      busy.close();
    }
    const rule = await runMqx([
      'up',
      '--check',
      write(
        'rule.yaml',
        'brokers:\n  a: { port: 1 }\n  b: { port: 2 }\nbridges:\n  - { from: a, to: b, topic: "srv/# sideways 2" }\n',
      ),
    ]);
    expect(rule.exitCode).toBe(2);
    expect(text(rule.stderr).trim().split('\n')).toHaveLength(1);
    expect(text(rule.stderr)).toMatch(/bridges\[0\]\.topic\[0\].*sideways/);
    const unknown = await runMqx([
      'up',
      write('unknown.yaml', 'brokers:\n  a: { port: 1 }\nsubscribers:\n  - { broker: z, filter: "#" }\n'),
    ]);
    expect(unknown.exitCode).toBe(2);
    expect(text(unknown.stderr)).toMatch(
      /^mqx: .*subscribers\[0\]\.broker: no broker named 'z' \(brokers: a\)$/,
    );
  }, 60_000);
});
