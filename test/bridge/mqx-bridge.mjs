// `mqx bridge` for tests until src/cli.ts lists the command: the same compiled command module,
// under yargs, with src/cli.ts's mapping of errors to "mqx: MESSAGE" and the exit code.
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import command from '../../dist/commands/bridge.js';

const fail = (message, code) => {
  process.stderr.write(`mqx: ${message}\n`);
  process.exit(code);
};

yargs(['bridge', ...hideBin(process.argv)])
  .scriptName('mqx')
  .strict()
  .command(command)
  .fail((msg, err) => (err ? fail(err.message, err.exitCode ?? 1) : fail(msg, 2)))
  .parseAsync()
  .catch((err) => fail(err.message, err.exitCode ?? 1));
