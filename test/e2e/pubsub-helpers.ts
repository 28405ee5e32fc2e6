/**
 * Running `mqx sub` in the background for end-to-end tests: it starts with --debug, and the
 * helper resolves once the SUBACK shows on stderr, so a test publishes only after the
 * subscription exists (no sleeps).
 */
import { execa, type ResultPromise } from 'execa';
import { MQX_BIN } from '../helpers/processes.js';

export interface BackgroundSub {
  proc: ResultPromise;
  stdout(): Buffer;
  stderr(): string;
  /** Resolves with the exit code. */
  done(): Promise<number | undefined>;
}

export async function startSub(args: string[], env: Record<string, string> = {}): Promise<BackgroundSub> {
  const proc: ResultPromise = execa('node', [MQX_BIN, 'sub', '--debug', ...args], {
    reject: false,
    encoding: 'buffer',
    buffer: false,
    stdin: 'ignore',
    env: { NO_COLOR: '1', ...env },
    timeout: 60_000,
  });
  const out: Buffer[] = [];
  let err = '';
  proc.stdout?.on('data', (c: Buffer) => out.push(c));
  await new Promise<void>((resolve, reject) => {
    proc.stderr?.on('data', (c: Buffer) => {
      err += c.toString();
      if (err.includes('← SUBACK')) resolve();
    });
    proc.once('exit', (code) => reject(new Error(`mqx sub exited with ${code} before subscribing:\n${err}`)));
  });
  return {
    proc,
    stdout: () => Buffer.concat(out),
    stderr: () => err,
    done: async () => (await proc).exitCode,
  };
}

export function lines(buf: Buffer | Uint8Array): string[] {
  return Buffer.from(buf)
    .toString('utf8')
    .split('\n')
    .filter((l) => l !== '');
}

export function text(buf: Buffer | Uint8Array): string {
  return Buffer.from(buf).toString('utf8');
}
