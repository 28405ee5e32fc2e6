/**
 * `mqx explore` under load, measured from outside as a user sees it: the real binary on a
 * pseudo-terminal (util-linux `script`), an mqx broker, and a publisher in this process.
 *
 *   1. keypress-to-repaint: while 10,000 msg/s arrive on 50,000 topics, press j and k in turn
 *      and time each until the frame showing the moved selection ("Topics 2/…") comes back;
 *      p50 / p95 / max, with the tree collapsed and with the 50,000-topic level open.
 *   2. RSS of the explore process once it holds the 50,000 topics.
 *   3. keep-up: a QoS 1 flood (explore subscribes with QoS 1, so nothing is dropped and the
 *      broker's flow control slows the publisher to what explore takes): messages per second
 *      that explore's header counts.
 *
 *   npm run build && node dist/bench/explore.js
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from '../src/client/client.js';
import { freePort, waitForPort } from '../test/helpers/ports.js';
import { launcherFlags, ROOT } from './paths.js';

const RATE = 10_000;
const TOPICS = 50_000;
const PRESSES = 200;
const MQX = path.join(ROOT, 'bin/mqx.js');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** The process below `root` whose command line mentions `word` (script runs a shell, which runs node). */
function descendant(root: number, word: string): number | undefined {
  const children = (pid: number): number[] => {
    try {
      return readdirSync(`/proc/${pid}/task`).flatMap((t) =>
        readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').split(' ').filter(Boolean).map(Number),
      );
    } catch {
      return [];
    }
  };
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.shift()!;
    const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    if (cmd.some((c) => c.endsWith('node')) && cmd.includes(word)) return pid;
    queue.push(...children(pid));
  }
  return undefined;
}

function rssMb(pid: number): number {
  const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]!;
  return Number(kb) / 1024;
}

/** explore on a pseudo-terminal of 80×24; `output` is everything it has written since `mark()`. */
class Pty {
  readonly proc: ChildProcess;
  private text = '';
  private waiter: { test: RegExp; resolve: () => void } | undefined;

  constructor(port: number, qos: number) {
    const cmd = ['node', ...launcherFlags(), MQX, 'explore', '-p', String(port), '-q', String(qos)].join(' ');
    this.proc = spawn('script', ['-qfc', `stty cols 80 rows 24; exec ${cmd}`, '/dev/null'], {
      stdio: ['pipe', 'pipe', 'inherit'],
      env: { ...process.env, NO_COLOR: '1' },
    });
    this.proc.stdout!.setEncoding('latin1');
    this.proc.stdout!.on('data', (chunk: string) => {
      this.text = (this.text + chunk).slice(-200_000);
      if (this.waiter?.test.test(this.text)) {
        const { resolve } = this.waiter;
        this.waiter = undefined;
        resolve();
      }
    });
  }

  /** Sends `key` and resolves once output written after it matches `test`: the repaint. */
  press(key: string, test: RegExp): Promise<number> {
    this.text = '';
    const start = performance.now();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no repaint matching ${test} after 5 s`)), 5_000);
      this.waiter = {
        test,
        resolve: () => {
          clearTimeout(timer);
          resolve(performance.now() - start);
        },
      };
      this.proc.stdin!.write(key);
    });
  }

  /** The last message count explore's header showed. */
  count(): number {
    const all = [...this.text.matchAll(/topics  ([\d,]+) msgs/g)];
    return all.length > 0 ? Number(all.at(-1)![1]!.replace(/,/g, '')) : 0;
  }

  async waitFor(test: RegExp, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!test.test(this.text)) {
      if (Date.now() > deadline) throw new Error(`explore never showed ${test}`);
      await sleep(50);
    }
  }
}

/** Publishes `rate` msg/s round-robin over TOPICS topics until stopped. */
function load(client: Client, rate: number): { stop(): void; sent(): number } {
  let sent = 0;
  const started = performance.now();
  const payload = Buffer.from('{"temp": 21.5, "hum": 40}');
  const timer = setInterval(() => {
    const due = Math.floor(((performance.now() - started) / 1000) * rate);
    for (; sent < due; sent++) client.publish(`load/${sent % TOPICS}`, payload).catch(() => undefined);
  }, 5);
  return { stop: () => clearInterval(timer), sent: () => sent };
}

async function presses(pty: Pty, n: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const down = i % 2 === 0;
    times.push(await pty.press(down ? 'j' : 'k', down ? /Topics 2\// : /Topics 1\//));
    await sleep(10 + Math.random() * 20);
  }
  return times.sort((a, b) => a - b);
}

function summary(times: number[]): string {
  const f = (v: number) => `${v.toFixed(1)} ms`;
  return `p50 ${f(percentile(times, 50))}, p95 ${f(percentile(times, 95))}, max ${f(times.at(-1)!)} (${times.length} presses)`;
}

async function main(): Promise<void> {
  const port = await freePort();
  const broker = spawn('node', [...launcherFlags(), MQX, 'broker', '-p', String(port)], { stdio: 'ignore' });
  const procs: ChildProcess[] = [broker];
  try {
    await waitForPort(port);
    const client = await Client.connect({ broker: { scheme: 'mqtt', host: '127.0.0.1', port } });
    // Rows around the load's level: 'a' first, 'load' second, 'z' last.
    await client.publish('a', 'first', { retain: true });
    await client.publish('z', 'last', { retain: true });

    const pty = new Pty(port, 0);
    procs.push(pty.proc);
    await pty.waitFor(/Topics 1\/2/);
    const pid = descendant(pty.proc.pid!, 'explore')!;
    const rssIdle = rssMb(pid);
    const loader = load(client, RATE);
    await pty.waitFor(new RegExp(`${(TOPICS + 2).toLocaleString('en-US')} topics`), 30_000);
    const collapsed = await presses(pty, PRESSES);
    pty.proc.stdin!.write('j');
    pty.proc.stdin!.write('l');
    await sleep(500);
    pty.proc.stdin!.write('k');
    await sleep(500);
    const open = await presses(pty, PRESSES);
    const rssLoaded = rssMb(pid);
    loader.stop();
    const sent = loader.sent();
    console.log(`keypress to repaint at ${RATE} msg/s over ${TOPICS} topics (80×24):`);
    console.log(`  tree collapsed:            ${summary(collapsed)}`);
    console.log(`  50,000-topic level open:   ${summary(open)}`);
    console.log(
      `RSS of explore: ${rssIdle.toFixed(0)} MB idle, ${rssLoaded.toFixed(0)} MB with ${TOPICS} topics (${sent} messages)`,
    );
    pty.proc.stdin!.write('q');
    await sleep(500);

    // Keep-up: QoS 1 end to end, the publisher as fast as the broker lets it.
    const flood = new Pty(port, 1);
    procs.push(flood.proc);
    await flood.waitFor(/Topics 1\//);
    let stop = false;
    const payload = Buffer.from('{"temp": 21.5}');
    const pump = (async () => {
      for (let i = 0; !stop; i++) {
        const batch = [];
        for (let k = 0; k < 500; k++)
          batch.push(client.publish(`load/${(i * 500 + k) % TOPICS}`, payload, { qos: 1 }));
        await Promise.all(batch);
      }
    })();
    await sleep(2_000);
    const c0 = flood.count();
    const t0 = performance.now();
    await sleep(8_000);
    const rate = (flood.count() - c0) / ((performance.now() - t0) / 1000);
    stop = true;
    await pump;
    console.log(
      `keep-up: explore counted ${Math.round(rate).toLocaleString('en-US')} msg/s (QoS 1 flood, 8 s)`,
    );
    flood.proc.stdin!.write('q');
    await client.end();
  } finally {
    for (const p of procs) p.kill();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
