/**
 * The brokers under test, each started fresh on its own loopback port and pinned to CPU 1 with
 * taskset (the load generator stays on CPU 0). taskset execs the broker, so the child's pid is the
 * broker's and /proc/PID/status and /proc/PID/stat give its memory and CPU time.
 *
 * mosquitto and mqx read the same mosquitto.conf:
 *   set_tcp_nodelay true     mosquitto otherwise waits on Nagle for small packets
 *   max_inflight_messages 0  Debian's 2.0.11 stalls and drops QoS 1/2 with its default of 20
 *   max_queued_messages 0    no queue cap: the bench checks that nothing is lost
 *   max_queued_bytes 0
 *   sys_interval 0           no $SYS publishing during runs
 *   persistence false, log_dest none
 * Aedes gets its defaults (in-memory) with TCP_NODELAY.
 *
 * Two references are not brokers (benchmarks/baselines.ts): the sink, which acknowledges every
 * publish and routes none, for the throughput scenarios, and the net server, a bare net.Server,
 * for idle connections. Both run under the node flags bin/mqx.js gives mqx.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { freePort, waitForPort } from '../test/helpers/ports.js';
import { launcherFlags, ROOT } from './paths.js';

export type BrokerName = 'mqx' | 'mosquitto' | 'aedes' | 'sink' | 'netserver';
export const BROKERS: readonly BrokerName[] = ['mqx', 'mosquitto', 'aedes', 'sink', 'netserver'];

export const BROKER_CPU = '1';
export const GENERATOR_CPU = '0';
const MOSQUITTO = '/usr/sbin/mosquitto';

export interface BrokerProcess {
  name: BrokerName;
  port: number;
  pid: number;
  /** Resident set size in bytes (VmRSS). */
  rss(): number;
  /** User plus system CPU time so far, in microseconds (at the kernel's clock-tick resolution). */
  cpuMicros(): number;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** mqx only: write a V8 CPU profile into this directory when the broker exits. */
  cpuProfileDir?: string;
  /** Work directory for config files. */
  dir: string;
  /** mqx only: node flags after the launcher's (e.g. --trace-gc-nvp). */
  nodeFlags?: string[];
  /** Every chunk the broker writes to stdout (where node's --trace-gc goes). */
  onStdout?: (chunk: Buffer) => void;
}

export function benchConf(port: number): string {
  return [
    `listener ${port} 127.0.0.1`,
    'allow_anonymous true',
    'set_tcp_nodelay true',
    'max_inflight_messages 0',
    'max_queued_messages 0',
    'max_queued_bytes 0',
    'sys_interval 0',
    'persistence false',
    'log_dest none',
    '',
  ].join('\n');
}

export function hasTaskset(): boolean {
  return spawnSync('taskset', ['-V'], { stdio: 'ignore' }).status === 0;
}

/**
 * Pins this process (the load generator) to GENERATOR_CPU, every thread of it (`-a`): without,
 * only the main thread moves, and V8's collector and compiler threads and libuv's pool go on
 * running on the broker's CPU too. False when taskset is missing.
 */
export function pinSelf(): boolean {
  return spawnSync('taskset', ['-acp', GENERATOR_CPU, String(process.pid)], { stdio: 'ignore' }).status === 0;
}

export function readRss(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!m) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(m[1]) * 1024;
}

let clockTicks: number | undefined;

/** USER_HZ, what /proc/PID/stat counts CPU time in. */
function ticksPerSecond(): number {
  clockTicks ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
  return clockTicks;
}

export function readCpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may itself hold spaces: state is
  // field 3, utime and stime are fields 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1e6) / ticksPerSecond();
}

function command(name: BrokerName, port: number, o: StartOptions): string[] {
  const conf = path.join(o.dir, `${name}-${port}.conf`);
  switch (name) {
    case 'mosquitto':
      writeFileSync(conf, benchConf(port));
      return [MOSQUITTO, '-c', conf];
    case 'mqx': {
      writeFileSync(conf, benchConf(port));
      const prof = o.cpuProfileDir ? [`--cpu-prof`, `--cpu-prof-dir=${o.cpuProfileDir}`] : [];
      if (o.cpuProfileDir) mkdirSync(o.cpuProfileDir, { recursive: true });
      return [
        process.execPath,
        ...launcherFlags(),
        ...(o.nodeFlags ?? []),
        ...prof,
        path.join(ROOT, 'bin/mqx.js'),
        'broker',
        '-c',
        conf,
      ];
    }
    case 'aedes':
      return [process.execPath, path.join(ROOT, 'dist/benchmarks/aedes-server.js'), String(port)];
    case 'sink':
      return [
        process.execPath,
        ...launcherFlags(),
        path.join(ROOT, 'dist/benchmarks/sink-server.js'),
        String(port),
      ];
    case 'netserver':
      return [
        process.execPath,
        ...launcherFlags(),
        path.join(ROOT, 'dist/benchmarks/net-server.js'),
        String(port),
      ];
  }
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

export async function startBroker(name: BrokerName, o: StartOptions): Promise<BrokerProcess> {
  const port = await freePort();
  const [cmd, ...args] = command(name, port, o);
  const pinned = hasTaskset();
  const child = spawn(pinned ? 'taskset' : cmd!, pinned ? ['-c', BROKER_CPU, cmd!, ...args] : args, {
    stdio: ['ignore', o.onStdout ? 'pipe' : 'ignore', 'pipe'],
  });
  if (o.onStdout) child.stdout?.on('data', o.onStdout);
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => {
    stderr = (stderr + c.toString()).slice(-4000);
  });
  const died = exited(child).then(() => {
    throw new Error(`${name} exited during start-up: ${stderr}`);
  });
  await Promise.race([waitForPort(port, 15_000), died]);
  died.catch(() => undefined);
  const pid = child.pid!;
  return {
    name,
    port,
    pid,
    rss: () => readRss(pid),
    cpuMicros: () => readCpuMicros(pid),
    stop: async () => {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited(child);
      clearTimeout(timer);
    },
  };
}
