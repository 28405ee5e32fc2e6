import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { tempDir } from './processes.js';

let sessions = 0;

/**
 * A program in a real terminal: a tmux server of its own (its own socket, so tests never meet
 * each other's or the user's sessions), one pane, read back with capture-pane. OSC 52 from the program lands in
 * tmux's paste buffers (set-clipboard on), which makes a clipboard write visible to a test.
 */
export class Tmux {
  readonly socket = `mqx-test-${process.pid}-${++sessions}`;

  constructor(command: string[], cols = 80, rows = 24, env: Record<string, string> = {}) {
    const conf = path.join(tempDir('mqx-tmux-'), 'tmux.conf');
    writeFileSync(conf, 'set -g set-clipboard on\nset -g status off\n');
    const quoted = command.map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
    const vars = Object.entries(env).map(([k, v]) => `${k}='${v}'`);
    // The shell stays after the program so that its exit status can be read off the screen.
    const script = `env ${vars.join(' ')} ${quoted}; echo "[exited $?]"; exec sleep 3600`;
    this.tmux('-f', conf, 'new-session', '-d', '-x', String(cols), '-y', String(rows), script);
  }

  tmux(...args: string[]): string {
    return execFileSync('tmux', ['-L', this.socket, ...args], { encoding: 'utf8' });
  }

  /** Keys as tmux send-keys names them: 'j', 'Enter', 'Escape', 'C-c'. */
  send(...keys: string[]): void {
    this.tmux('send-keys', ...keys);
  }

  /** Text typed literally. */
  type(text: string): void {
    this.tmux('send-keys', '-l', text);
  }

  screen(): string {
    return this.tmux('capture-pane', '-p');
  }

  async waitFor(test: (screen: string) => boolean, what: string, timeoutMs = 10_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const screen = this.screen();
      if (test(screen)) return screen;
      if (Date.now() > deadline) throw new Error(`tmux pane never showed ${what}; it shows:\n${screen}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  resize(cols: number, rows: number): void {
    this.tmux('resize-window', '-x', String(cols), '-y', String(rows));
  }

  /** The exit status once the program ended (the shell prints it under it), else undefined. */
  exitStatus(): number | undefined {
    const m = /\[exited (\d+)\]/.exec(this.screen());
    return m ? Number(m[1]) : undefined;
  }

  buffers(): string {
    return this.tmux('list-buffers', '-F', '#{buffer_sample}');
  }

  kill(): void {
    try {
      this.tmux('kill-server');
    } catch {
      // Already gone.
    }
  }
}
