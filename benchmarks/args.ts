/**
 * Flags of the benchmark scripts: `--help` prints the usage, and a flag that is not one of them
 * says which and exits 2 (node's parseArgs alone would end the run with a stack trace).
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';

export function benchArgs<T extends NonNullable<ParseArgsConfig['options']>>(options: T, usage: string) {
  if (process.argv.slice(2).includes('--help')) {
    process.stdout.write(`${usage}\n`);
    process.exit(0);
  }
  try {
    return parseArgs({ options }).values;
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${usage}\n`);
    process.exit(2);
  }
}
