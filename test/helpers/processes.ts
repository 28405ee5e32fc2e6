import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type ResultPromise } from 'execa';
import { launcherFlags } from '../../benchmarks/paths.js';
import { MOSQUITTO } from './peers.js';
import { freePort, waitForPort } from './ports.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const MQX_BIN = path.join(ROOT, 'bin/mqx.js');
/** The node flags of bin/mqx.js's shebang, for a broker started the way `npx mqx` starts it. */
export const LAUNCHER_FLAGS = launcherFlags();

export interface RunningBroker {
  port: number;
  /** Every line the broker printed so far (stdout and stderr). */
  log: string[];
  proc: ResultPromise;
  stop(): Promise<void>;
}

const running = new Set<ResultPromise>();
process.on('exit', () => {
  for (const p of running) p.kill('SIGKILL');
});

async function stopProc(proc: ResultPromise): Promise<void> {
  running.delete(proc);
  if (proc.exitCode !== null) return;
  proc.kill('SIGTERM');
  const timer = setTimeout(() => proc.kill('SIGKILL'), 5_000);
  await proc.catch(() => undefined);
  clearTimeout(timer);
}

export function tempDir(prefix = 'mqx-test-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

/**
 * Starts `mqx broker -p 0 ...args` and resolves once it logs the port it listens on, so tests
 * never collide with each other or with a broker on 1883.
 */
export async function startMqxBroker(
  args: string[] = [],
  env: Record<string, string> = {},
  nodeFlags: string[] = [],
): Promise<RunningBroker> {
  const proc = execa(
    'node',
    [
      ...nodeFlags,
      MQX_BIN,
      'broker',
      ...(args.some((a) => a === '-p' || a === '-c') ? [] : ['-p', '0']),
      ...args,
    ],
    {
      env: { ...env, NO_COLOR: '1' },
      reject: false,
      buffer: false,
      stdin: 'ignore',
    },
  );
  running.add(proc);
  const log: string[] = [];
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`mqx broker did not start:\n${log.join('\n')}`)), 15_000);
    const onLine = (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) {
        if (!line) continue;
        log.push(line);
        const m = /Opening ipv[46] listen socket on port (\d+)/.exec(line);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      }
    };
    proc.stdout?.on('data', onLine);
    proc.stderr?.on('data', onLine);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`mqx broker exited with ${code}:\n${log.join('\n')}`));
    });
  });
  return { port, log, proc, stop: () => stopProc(proc) };
}

/** Starts Debian's mosquitto on a free loopback port with `extraConfig` appended to its config. */
export async function startMosquitto(extraConfig = ''): Promise<RunningBroker> {
  const port = await freePort();
  const dir = tempDir('mqx-mosquitto-');
  const conf = path.join(dir, 'mosquitto.conf');
  const text = `listener ${port} 127.0.0.1\nallow_anonymous true\n${extraConfig}\n`;
  writeFileSync(conf, text);
  const proc = execa(MOSQUITTO, ['-c', conf], { reject: false, buffer: false, stdin: 'ignore' });
  running.add(proc);
  const log: string[] = [];
  proc.stderr?.on('data', (c: Buffer) => log.push(...c.toString().split('\n').filter(Boolean)));
  // Every listener, not only the first: mosquitto opens them one after another, and a test that
  // dials an extra one (WebSocket, TLS) as soon as this returns would otherwise race it.
  for (const m of text.matchAll(/^listener (\d+)/gm)) await waitForPort(Number(m[1]));
  return { port, log, proc, stop: () => stopProc(proc) };
}

/** Runs the mqx binary to completion with no stdin unless `input` is given. */
export function runMqx(
  args: string[],
  options: { input?: string | Buffer; env?: Record<string, string>; timeout?: number } = {},
) {
  return execa('node', [MQX_BIN, ...args], {
    reject: false,
    input: options.input,
    stdin: options.input === undefined ? 'ignore' : undefined,
    env: { NO_COLOR: '1', ...options.env },
    timeout: options.timeout ?? 20_000,
    encoding: 'buffer',
  });
}
