import { spawnSync } from 'node:child_process';
import { hasTaskset } from '../../benchmarks/brokers.js';

/**
 * Peers are programs no one here wrote (mosquitto, paho-mqtt, chromium...). On a laptop a missing
 * peer skips its tests visibly; with MQX_REQUIRE_PEERS=1 (CI) a missing peer fails the run.
 */
function available(name: string, probe: () => boolean): boolean {
  const ok = probe();
  if (!ok) {
    if (process.env.MQX_REQUIRE_PEERS === '1') {
      throw new Error(`test peer "${name}" is missing and MQX_REQUIRE_PEERS=1`);
    }
    console.warn(`[peers] ${name} is not installed: its tests are skipped`);
  }
  return ok;
}

function runs(cmd: string, args: string[]): boolean {
  const r = spawnSync(cmd, args, { stdio: 'ignore', timeout: 10_000 });
  return r.error === undefined && r.status === 0;
}

export const MOSQUITTO = '/usr/sbin/mosquitto';
/** Debian's python, where python3-paho-mqtt installs (a pyenv python3 on PATH would not have it). */
export const PYTHON = '/usr/bin/python3';
export const PROMTOOL = '/usr/bin/promtool';
export const PROMETHEUS = '/usr/bin/prometheus';

const cache = new Map<string, boolean>();
function memo(name: string, probe: () => boolean): boolean {
  let v = cache.get(name);
  if (v === undefined) {
    v = available(name, probe);
    cache.set(name, v);
  }
  return v;
}

export const peers = {
  mosquitto: () => memo('mosquitto', () => runs(MOSQUITTO, ['-h']) || runs('test', ['-x', MOSQUITTO])),
  mosquittoClients: () =>
    memo('mosquitto-clients', () =>
      runs('sh', ['-c', 'command -v mosquitto_pub && command -v mosquitto_sub']),
    ),
  mosquittoPasswd: () => memo('mosquitto_passwd', () => runs('sh', ['-c', 'command -v mosquitto_passwd'])),
  paho: () => memo('python3-paho-mqtt', () => runs(PYTHON, ['-c', 'import paho.mqtt.client'])),
  netns: () =>
    memo('unshare + ip (network namespaces)', () => runs('unshare', ['-n', 'sh', '-c', 'ip link set lo up'])),
  chromium: () => memo('chromium', () => runs('test', ['-x', '/usr/bin/chromium'])),
  openssl: () => memo('openssl', () => runs('openssl', ['version'])),
  /** util-linux `script`, to run a command on a pseudo-terminal. */
  script: () => memo('script (util-linux)', () => runs('script', ['--version'])),
  tmux: () => memo('tmux', () => runs('tmux', ['-V'])),
  /** util-linux `taskset`, with which `npm run bench` pins the broker and the load generator. */
  taskset: () => memo('taskset (util-linux)', hasTaskset),
  redis: () => memo('redis-server', () => runs('sh', ['-c', 'command -v redis-server'])),
  /** Debian's prometheus: promtool to lint an exposition, the server to scrape one. */
  prometheus: () =>
    memo('prometheus', () => runs(PROMTOOL, ['--version']) && runs(PROMETHEUS, ['--version'])),
};
