/**
 * `mqx explore` under load, measured from outside as a user sees it: the real binary on a
 * pseudo-terminal (util-linux `script`), an mqx broker, and a publisher in this process.
 *
 *   1. keypress-to-repaint: while 10,000 msg/s arrive on 50,000 topics, press j and k in turn
 *      and time each until the frame showing the moved selection ("Topics 2/…") comes back;
 *      p50 / p95 / max, with the tree collapsed and with the 50,000-topic level open.
 *   2. RSS of the explore process once it holds the 50,000 topics.
 *   3. keep-up: QoS 0 at 10,000 to 80,000 msg/s for 5 s each; explore keeps up with a rate
 *      when its header counts every message sent (a broker drops QoS 0 for a subscriber that
 *      falls behind).
 *
 *   npm run build && node dist/benchmarks/explore.js
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
  /** The last message count explore's header showed. */
  count = 0;

  constructor(port: number) {
    const cmd = ['node', ...launcherFlags(), MQX, 'explore', '-p', String(port)].join(' ');
    this.proc = spawn('script', ['-qfc', `stty cols 80 rows 24; exec ${cmd}`, '/dev/null'], {
      stdio: ['pipe', 'pipe', 'inherit'],
      env: { ...process.env, NO_COLOR: '1' },
    });
    this.proc.stdout!.setEncoding('latin1');
    this.proc.stdout!.on('data', (chunk: string) => {
      this.text = (this.text + chunk).slice(-200_000);
      const counts = [...this.text.slice(-4096).matchAll(/topics {2}([\d,]+) msgs/g)];
      if (counts.length > 0) this.count = Number(counts.at(-1)![1]!.replace(/,/g, ''));
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

    const pty = new Pty(port);
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
    await sleep(1_000);
    console.log(`  explore counted ${pty.count - 2} of the ${sent} messages`);

    // Keep-up: steps of a fixed QoS 0 rate; explore keeps up when it counts every message sent.
    console.log('keep-up (QoS 0, 5 s a step): sent, counted by explore 1 s after the step');
    for (const rate of [10_000, 20_000, 40_000, 80_000]) {
      const before = pty.count;
      const step = load(client, rate);
      await sleep(5_000);
      step.stop();
      await sleep(1_000);
      const counted = pty.count - before;
      const share = (100 * counted) / step.sent();
      console.log(
        `  ${rate.toLocaleString('en-US').padStart(6)} msg/s: ${step.sent()} sent, ${counted} counted (${share.toFixed(1)}%)`,
      );
    }
    pty.proc.stdin!.write('q');
    await client.end();
  } finally {
    for (const p of procs) p.kill();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
