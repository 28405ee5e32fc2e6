/**
 * One message to the bytes `mqx sub` prints for it: --json, a -F format string, or the payload
 * (-v: with its topic), each followed by a newline unless -N. Shared by every command that prints
 * received messages (sub, rr), so an output option added here reaches all of them.
 */
import type { ChalkInstance } from 'chalk';
import { compileFormat } from './format.js';
import { messageJson } from './json.js';
import type { ReceivedMessage } from './message.js';
import { textLine } from './text.js';

export interface RenderOptions {
  json?: boolean;
  format?: string;
  pretty?: boolean;
  verbose?: boolean;
  'no-eol'?: boolean;
}

export type Render = (msg: ReceivedMessage) => Buffer;

export function renderer(
  options: RenderOptions,
  chalk: ChalkInstance | undefined,
  warn: (line: string) => void,
): Render {
  const eol = options['no-eol'] ? '' : '\n';
  const withEol = (b: Buffer | string) =>
    eol ? Buffer.concat([typeof b === 'string' ? Buffer.from(b) : b, Buffer.from(eol)]) : Buffer.from(b);
  if (options.json) return (msg) => withEol(messageJson(msg, options.pretty ?? false));
  if (options.format !== undefined) {
    const format = compileFormat(options.format);
    const ctx = { pretty: options.pretty ?? false, warn };
    return (msg) => withEol(format(msg, ctx));
  }
  const verbose = options.verbose ?? false;
  return (msg) => withEol(textLine(msg, verbose, chalk));
}
