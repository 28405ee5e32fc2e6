import { readFile } from 'node:fs/promises';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { checkUsername, formatEntry } from '../src/broker/auth/password-file.js';
import {
  deleteEntry,
  hashPlaintext,
  setEntry,
  writeFileAtomic,
} from '../src/broker/auth/password-file-edit.js';
import { MqxError, UsageError } from '../src/errors.js';
import { type PromptInput, readFirstLine, readHidden } from '../src/output/prompt.js';

export interface PasswdOptions {
  file: string;
  user?: string;
  password?: string;
  create: boolean;
  batch: boolean;
  delete: boolean;
  updatePlaintext: boolean;
}

/** The flags as yargs declares them (kebab-case); the handler turns them into PasswdOptions. */
type PasswdArgs = Omit<PasswdOptions, 'updatePlaintext'> & { 'update-plaintext': boolean };

export interface PasswdIo {
  input: PromptInput;
  /** Prompts go here (stderr), never to stdout. */
  output: NodeJS.WritableStream;
}

/** The MQTT password field is at most 65535 bytes; mosquitto_passwd refuses longer ones too. */
const MAX_PASSWORD_BYTES = 65_535;

/** Twice without echo on a terminal, as mosquitto_passwd; else the first line of stdin. */
async function askPassword(io: PasswdIo): Promise<string> {
  if (!io.input.isTTY) return readFirstLine(io.input);
  const first = await readHidden('Password: ', io.input, io.output);
  if (first === '') throw new UsageError('empty password');
  const again = await readHidden('Reenter password: ', io.input, io.output);
  if (again !== first) throw new UsageError('the passwords do not match');
  return first;
}

async function readExisting(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UsageError(`${file}: no such file (-c creates it)`);
    throw new UsageError(`${file}: cannot read: ${code ?? err}`);
  }
}

function checkFlags(args: PasswdOptions): void {
  if (args.updatePlaintext) {
    if (args.create || args.batch || args.delete || args.user !== undefined) {
      throw new UsageError('-U converts FILE in place and takes no other flag or argument');
    }
    return;
  }
  if (args.user === undefined) throw new UsageError('name the user: mqx passwd FILE USER');
  if (args.create && args.delete) throw new UsageError('-c and -D cannot be used together');
  if (args.delete && (args.batch || args.password !== undefined))
    throw new UsageError('-D takes no password');
  if (args.password !== undefined && !args.batch)
    throw new UsageError('a password on the command line needs -b');
  if (args.batch && args.password === undefined)
    throw new UsageError('-b needs the password: mqx passwd -b FILE USER PASSWORD');
  const problem = checkUsername(args.user);
  if (problem) throw new UsageError(problem);
}

export async function runPasswd(args: PasswdOptions, io: PasswdIo): Promise<void> {
  checkFlags(args);
  const { file, user } = args;
  if (args.updatePlaintext) {
    await writeFileAtomic(file, await hashPlaintext(await readExisting(file), file));
    return;
  }
  if (user === undefined) return; // checkFlags made sure of it; this narrows the type
  const text = args.create ? '' : await readExisting(file);
  if (args.delete) {
    const rest = deleteEntry(text, user);
    if (rest === undefined) throw new MqxError(`user "${user}" is not in ${file}`);
    await writeFileAtomic(file, rest);
    return;
  }
  const password = args.password ?? (await askPassword(io));
  if (Buffer.byteLength(password) > MAX_PASSWORD_BYTES)
    throw new UsageError(`the password is longer than ${MAX_PASSWORD_BYTES} bytes`);
  await writeFileAtomic(file, setEntry(text, user, await formatEntry(user, password)));
}

const command: CommandModule<object, PasswdArgs> = {
  command: 'passwd <file> [user] [password]',
  describe: 'Manage a mosquitto password file (PBKDF2-SHA512, as mosquitto_passwd)',
  builder: (y: Argv) =>
    y
      .positional('file', {
        type: 'string',
        demandOption: true,
        describe: 'The password file (password_file in mosquitto.conf)',
      })
      .positional('user', { type: 'string', describe: 'The username to add, change or delete' })
      .positional('password', { type: 'string', describe: 'The password, with -b only' })
      .option('create', {
        alias: 'c',
        type: 'boolean',
        default: false,
        describe: 'Create the file, replacing an existing one',
      })
      .option('batch', {
        alias: 'b',
        type: 'boolean',
        default: false,
        describe: 'Take the password from the command line',
      })
      .option('delete', { alias: 'D', type: 'boolean', default: false, describe: 'Delete the user' })
      .option('update-plaintext', {
        alias: 'U',
        type: 'boolean',
        default: false,
        describe: 'Hash every plain-text "user:password" line of FILE in place',
      })
      .example('$0 passwd -c /etc/mosquitto/passwd alice', 'create the file, asking for the password twice')
      .example('$0 passwd -b passwd bob s3cret', 'add or change bob without a prompt')
      .example('echo s3cret | $0 passwd passwd bob', 'read the password from stdin')
      .example('$0 passwd -D passwd bob', 'delete bob') as Argv<PasswdArgs>,
  handler: (argv: ArgumentsCamelCase<PasswdArgs>) =>
    runPasswd(argv, { input: process.stdin, output: process.stderr }),
};

export default command;
