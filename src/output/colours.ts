/**
 * Colour for people, never for pipes: chalk is loaded only when the stream is a TTY and NO_COLOR
 * is unset, so scripts reading stdout get the data and nothing else (and pub/sub skip the import).
 */
import type { ChalkInstance } from 'chalk';

export function wantsColour(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true;
  return stream.isTTY === true;
}

export async function loadColours(stream: NodeJS.WriteStream): Promise<ChalkInstance | undefined> {
  if (!wantsColour(stream)) return undefined;
  const { default: chalk } = await import('chalk');
  return chalk;
}
