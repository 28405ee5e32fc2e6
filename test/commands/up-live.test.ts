/**
 * `mqx up`'s live view on a real terminal: tmux gives it a 100x30 pane, capture-pane reads what
 * it drew. MQX_LAB_CAPTURE=FILE keeps the last capture (scripts/pane-to-png.js renders it for docs/).
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { peers } from '../helpers/peers.js';
import { freePortRange, portIsFree } from '../helpers/ports.js';
import { MQX_BIN } from '../helpers/processes.js';

const SOCKET = `mqx-up-${process.pid}`;
const tmux = (...args: string[]) => execFileSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8' });
const capture = () => tmux('capture-pane', '-p', '-t', 'lab');

async function until(what: string, test: (screen: string) => boolean, ms = 20_000): Promise<string> {
  const deadline = Date.now() + ms;
  for (;;) {
    const screen = capture();
    if (test(screen)) return screen;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}:\n${screen}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

afterEach(() => {
  try {
    tmux('kill-server');
  } catch {
    // Already gone with its last session.
  }
});

describe.skipIf(!peers.tmux())('mqx up on a terminal', () => {
  it('shows brokers with clients and rates, bridges with state and rule counts, and stops on Ctrl-C', async () => {
    const base = await freePortRange(4);
    const command = `NO_COLOR=1 node ${MQX_BIN} up --example course-challenge --port-base ${base}; echo "exit=$?"; sleep 60`;
    tmux('new-session', '-d', '-s', 'lab', '-x', '100', '-y', '30', command);
    const rate = /^central\s+\d+\s+\d+\s+\d+\.\d\s+\d+\.\d\s+\d+/m;
    const screen = await until(
      'rates and counts',
      (s) => rate.test(s) && /sub-central\s+central\s+[1-9]/.test(s),
    );
    if (process.env.MQX_LAB_CAPTURE) writeFileSync(process.env.MQX_LAB_CAPTURE, screen);
    expect(screen).toMatch(/^mqx up: example course-challenge\s+running \d\d:\d\d/m);
    expect(screen).toMatch(new RegExp(`^central\\s+${base + 1}\\s+`, 'm'));
    expect(screen).toMatch(/^bridge1_central\s+bridge1 -> central\s+connected\s+srv\/# both 2\s+\d+\s+\d+/m);
    expect(screen).toMatch(/^bridge3_central\s+bridge3 -> central\s+connected/m);
    expect(screen).toMatch(/srv\/(humidity|temperature)\s+(humidity|temperature): \d/);
    for (const line of screen.split('\n')) expect(line.length).toBeLessThanOrEqual(100);
    tmux('send-keys', '-t', 'lab', 'C-c');
    const after = await until('the exit', (s) => /exit=\d+/.test(s));
    expect(after).toContain('exit=0');
    for (let i = 0; i < 4; i++) expect(await portIsFree(base + i)).toBe(true);
  }, 60_000);
});
