/**
 * Messages for people go to stderr, so stdout carries only data. Errors are one line, prefixed
 * "mqx:" like the ones src/cli.ts prints; info is dropped with --quiet.
 */
export interface Logger {
  info(line: string): void;
  warn(line: string): void;
  error(line: string): void;
}

export function createLogger(options: { quiet?: boolean; stream?: NodeJS.WritableStream } = {}): Logger {
  const stream = options.stream ?? process.stderr;
  return {
    info: (line) => {
      if (!options.quiet) stream.write(`${line}\n`);
    },
    warn: (line) => stream.write(`${line}\n`),
    error: (line) => stream.write(`mqx: ${line}\n`),
  };
}
