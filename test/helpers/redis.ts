import { execa, type ResultPromise } from 'execa';
import { freePort, waitForPort } from './ports.js';
import { tempDir } from './processes.js';

export interface RunningRedis {
  port: number;
  url: string;
  /** Stops Redis (SIGTERM: it writes its append-only file) and starts it again on the same port. */
  restart(downMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts Debian's redis-server on a free loopback port in a directory of its own, with the
 * append-only file synced on every write, so that a restart keeps every acknowledged write.
 */
export async function startRedis(extraArgs: string[] = []): Promise<RunningRedis> {
  const port = await freePort();
  const dir = tempDir('mqx-redis-');
  let proc: ResultPromise | undefined;
  const launch = async () => {
    proc = execa(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        dir,
        '--appendonly',
        'yes',
        '--appendfsync',
        'always',
        '--save',
        '',
        ...extraArgs,
      ],
      { reject: false, buffer: false, stdin: 'ignore' },
    );
    await waitForPort(port);
  };
  const halt = async () => {
    const p = proc;
    proc = undefined;
    if (p === undefined || p.exitCode !== null) return;
    p.kill('SIGTERM');
    const timer = setTimeout(() => p.kill('SIGKILL'), 5_000);
    await p;
    clearTimeout(timer);
  };
  process.on('exit', () => proc?.kill('SIGKILL'));
  await launch();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    restart: async (downMs = 0) => {
      await halt();
      await new Promise((r) => setTimeout(r, downMs));
      await launch();
    },
    stop: halt,
  };
}
