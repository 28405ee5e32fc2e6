import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { Client } from '../../src/client/index.js';
import { newBridge, parseTopicTokens } from '../../src/config/bridge-rules.js';
import type { BridgeConfig } from '../../src/config/broker-config.js';
import type { PublishPacket } from '../../src/protocol/types.js';
import { MQX_BIN } from '../helpers/processes.js';

/** A bridge block as a test wants it: fast restarts, one address, rules in mosquitto syntax. */
export function bridgeTo(
  name: string,
  port: number,
  rules: string[],
  extra: Partial<BridgeConfig> = {},
): BridgeConfig {
  return {
    ...newBridge(name, 'test'),
    addresses: [{ host: '127.0.0.1', port }],
    topics: rules.map((r) => parseTopicTokens('test', r.split(' '))),
    restartTimeout: [1, 1],
    ...extra,
  };
}

export async function connect(port: number, options: { clientId?: string; clean?: boolean } = {}) {
  const received: PublishPacket[] = [];
  const client = new Client({ broker: { scheme: 'mqtt', host: '127.0.0.1', port }, ...options });
  client.on('message', (p) => received.push(p));
  await client.connect();
  return { client, received };
}

export async function until(check: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `mqx bridge ARGS` as node arguments. */
export function mqxBridgeArgs(args: string[]): string[] {
  return [MQX_BIN, 'bridge', ...args];
}

/**
 * The command line of a bridge between two brokers on this host: the remote client id, `--topic`
 * rules, a one-second restart timeout, then `extra`.
 */
export function pairArgs(
  localPort: number,
  remotePort: number,
  remoteClientId: string,
  topics: string[],
  extra: string[] = [],
): string[] {
  return [
    '--local',
    `mqtt://127.0.0.1:${localPort}`,
    '--remote',
    `mqtt://127.0.0.1:${remotePort}`,
    '--remote-clientid',
    remoteClientId,
    ...topics.flatMap((t) => ['--topic', t]),
    '--restart-timeout',
    '1',
    ...extra,
  ];
}

export interface RunningBridge {
  proc: ResultPromise;
  /** Lines written to stderr so far. */
  log: string[];
  stop(): Promise<void>;
}

/** Starts `mqx bridge ARGS` with stderr collected (not a terminal, so it logs plainly). */
export function startMqxBridge(args: string[]): RunningBridge {
  const proc = execa('node', mqxBridgeArgs(args), {
    reject: false,
    buffer: false,
    stdin: 'ignore',
    env: { NO_COLOR: '1' },
  });
  const log: string[] = [];
  proc.stderr?.on('data', (c: Buffer) => log.push(...c.toString().split('\n').filter(Boolean)));
  return {
    proc,
    log,
    stop: async () => {
      proc.kill('SIGTERM');
      await proc;
    },
  };
}

/**
 * Writes dir/remote.conf for a mosquitto on `port` that keeps its sessions in a store under dir,
 * across restarts, and queues without limit; returns the file's path. mosquitto started as root
 * drops to its own user, which must be able to write the store.
 */
export function persistentMosquittoConf(dir: string, port: number): string {
  chmodSync(dir, 0o755);
  mkdirSync(path.join(dir, 'db'));
  chmodSync(path.join(dir, 'db'), 0o777);
  const conf = path.join(dir, 'remote.conf');
  writeFileSync(
    conf,
    `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence true\npersistence_location ${dir}/db/\nmax_queued_messages 0\n`,
  );
  return conf;
}
