/**
 * Messages for people go to stderr, so stdout carries only data. Warnings are one line prefixed
 * "mqx:" like the errors src/cli.ts prints; info lines are dropped when quiet.
 */
export interface Logger {
  info(line: string): void;
  warn(line: string): void;
}

export function createLogger(options: { quiet?: boolean; stream?: NodeJS.WritableStream } = {}): Logger {
  const stream = options.stream ?? process.stderr;
  return {
    info: (line) => {
      if (!options.quiet) stream.write(`${line}\n`);
    },
    warn: (line) => stream.write(`mqx: ${line}\n`),
  };
}
