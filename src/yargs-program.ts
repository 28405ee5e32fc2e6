/**
 * The root yargs program: global flags, help, version and the mapping of a usage error to exit 2.
 * src/cli.ts imports it only when a command line needs it (--help, --version, usage errors and
 * every command without a fast path): loading and running yargs takes about 150 ms and 7 MB.
 */
import type { Argv, CommandModule } from 'yargs';
import yargs from 'yargs';
import { VERSION } from './version.js';

const EXIT_CODES_HELP = `Exit codes:
  0    success
  1    unexpected failure
  2    usage error: bad flag, argument, input file or config
  3    connection failed, or lost with reconnecting off
  4    refused by the broker (CONNACK reason code on stderr)
  5    timeout (-W, --connect-timeout)
  6    publish or subscription rejected by the broker (reason code >= 0x80, SUBACK failure)
  130  interrupted (SIGINT)`;

/** The program for `argv` (the command line after `mqx`); the caller adds .fail() and parses. */
export function yargsProgram(argv: string[], commands: CommandModule[]): Argv {
  let program: Argv = yargs(argv)
    .scriptName('mqx')
    .usage(
      '$0 <command> [options]\n\nOne MQTT toolkit: broker, bridge, pub, sub and bench for MQTT 3.1, 3.1.1 and 5.0.',
    )
    .epilogue(EXIT_CODES_HELP)
    .strict()
    .demandCommand(1, 'name a command: mqx <command> --help')
    .recommendCommands()
    .help()
    .version(VERSION)
    .wrap(Math.min(110, process.stdout.columns || 110));
  for (const command of commands) program = program.command(command);
  return program;
}
