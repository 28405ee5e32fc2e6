import { StringDecoder } from 'node:string_decoder';
import { ExitCode, MqxError, UsageError } from '../errors.js';

/** The parts of process.stdin a prompt uses; tests pass a PassThrough with these added. */
export interface PromptInput extends NodeJS.ReadableStream {
  isTTY?: boolean;
  setRawMode?(mode: boolean): unknown;
}

/** Runs `onText` on every decoded chunk until it calls `done`; then leaves the stream as it found it. */
function readUntil<T>(
  input: PromptInput,
  onText: (text: string, done: (result: T | Error) => void) => void,
  onEnd: (done: (result: T | Error) => void) => void,
  timeoutMs?: number,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const decoder = new StringDecoder('utf8');
    let finished = false;
    const done = (result: T | Error) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      input.off('data', onData);
      input.off('end', onEndEvent);
      input.off('error', done);
      input.pause();
      if (result instanceof Error) reject(result);
      else resolve(result);
    };
    const onData = (chunk: Buffer | string) =>
      onText(typeof chunk === 'string' ? chunk : decoder.write(chunk), done);
    const onEndEvent = () => onEnd(done);
    const timer =
      timeoutMs === undefined
        ? undefined
        : setTimeout(
            () =>
              done(
                new UsageError(
                  `no password arrived on stdin within ${timeoutMs / 1000} s (use -b, or pipe it in)`,
                ),
              ),
            timeoutMs,
          );
    input.on('data', onData);
    input.once('end', onEndEvent);
    input.once('error', done);
    input.resume();
  });
}

/**
 * Reads a line from a terminal without echoing it: raw mode, so the terminal shows nothing, and
 * the few editing keys a password prompt needs handled here (Backspace, Ctrl-U, Ctrl-C, Ctrl-D).
 * The prompt goes to `output` (stderr in mqx) so that stdout stays clean for pipes.
 */
export async function readHidden(
  prompt: string,
  input: PromptInput,
  output: NodeJS.WritableStream,
): Promise<string> {
  if (!input.isTTY || !input.setRawMode) throw new UsageError('a hidden prompt needs a terminal');
  output.write(prompt);
  input.setRawMode(true);
  let line = '';
  try {
    return await readUntil<string>(
      input,
      (text, done) => {
        for (const ch of text) {
          if (ch === '\r' || ch === '\n') return done(line);
          if (ch === '\x03') return done(new MqxError('interrupted', ExitCode.Interrupted));
          if (ch === '\x04') return done(line === '' ? new UsageError('no password entered') : line);
          if (ch === '\x7f' || ch === '\b') line = Array.from(line).slice(0, -1).join('');
          else if (ch === '\x15') line = '';
          else if (ch >= ' ') line += ch; // other control keys (arrows arrive as ESC sequences) are ignored
        }
      },
      (done) => done(new UsageError('stdin closed before the password was entered')),
    );
  } finally {
    input.setRawMode(false);
    output.write('\n');
  }
}

/**
 * The first line of a stream that is not a terminal (`echo secret | mqx passwd ...`), without its
 * line ending. Never hangs: an empty stream is an error at once, and a stream that stays open
 * without sending a line is one after `timeoutMs`.
 */
export function readFirstLine(input: PromptInput, timeoutMs = 30_000): Promise<string> {
  let buffered = '';
  return readUntil<string>(
    input,
    (text, done) => {
      buffered += text;
      const newline = buffered.indexOf('\n');
      if (newline >= 0) done(buffered.slice(0, newline).replace(/\r$/, ''));
    },
    (done) =>
      done(
        buffered === '' ? new UsageError('no password on stdin (it was empty)') : buffered.replace(/\r$/, ''),
      ),
    timeoutMs,
  );
}
