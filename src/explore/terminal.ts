/**
 * The terminal under explore: the alternate screen in raw mode, keys from node:readline, resize
 * events, and frames written as the difference from the previous one (only changed lines, each
 * already exactly as wide as the screen, inside a synchronized update where the terminal has
 * one). Whatever happens, close() (or the process exiting) gives the terminal back as it was.
 */
import { emitKeypressEvents } from 'node:readline';
import type { ReadStream, WriteStream } from 'node:tty';
import type { Key } from './controller.js';

const ENTER = '\x1b[?1049h\x1b[?25l\x1b[2J';
const LEAVE = '\x1b[0m\x1b[?25h\x1b[?1049l';
const SYNC_START = '\x1b[?2026h';
const SYNC_END = '\x1b[?2026l';

export interface ScreenHandlers {
  key(key: Key): void;
  resize(): void;
}

export class Screen {
  private previous: string[] = [];
  private closed = false;
  private readonly onKeypress = (text: string | undefined, key: Key | undefined) =>
    this.handlers.key(key ?? { sequence: text ?? '' });
  private readonly onResize = () => {
    this.previous = [];
    this.output.write('\x1b[2J');
    this.handlers.resize();
  };
  private readonly restore = () => this.close();

  constructor(
    private readonly input: ReadStream,
    private readonly output: WriteStream,
    private readonly handlers: ScreenHandlers,
  ) {
    emitKeypressEvents(input);
    input.setRawMode(true);
    input.on('keypress', this.onKeypress);
    input.resume();
    output.on('resize', this.onResize);
    process.on('exit', this.restore);
    output.write(ENTER);
  }

  get cols(): number {
    return this.output.columns || 80;
  }

  get rows(): number {
    return this.output.rows || 24;
  }

  /** Writes the lines that changed since the last frame; returns the bytes written. */
  draw(lines: string[]): number {
    if (this.closed) return 0;
    let out = '';
    for (let i = 0; i < lines.length; i++) {
      if (lines[i] !== this.previous[i]) out += `\x1b[${i + 1};1H${lines[i]}`;
    }
    this.previous = lines;
    if (out === '') return 0;
    const frame = SYNC_START + out + SYNC_END;
    this.output.write(frame);
    return frame.length;
  }

  /** A control sequence of explore's own (OSC 52 copy), never one from the data. */
  send(sequence: string): void {
    if (!this.closed) this.output.write(sequence);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.input.off('keypress', this.onKeypress);
    this.output.off('resize', this.onResize);
    process.off('exit', this.restore);
    this.input.setRawMode(false);
    this.input.pause();
    this.output.write(LEAVE);
  }
}
