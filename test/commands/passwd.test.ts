import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { execa } from 'execa';
import { describe, expect, it, vi } from 'vitest';
import yargs from 'yargs';
import passwd, { type PasswdOptions, runPasswd } from '../../commands/passwd.js';
import { parsePasswordFile } from '../../src/broker/auth/password-file.js';
import { ExitCode, MqxError, UsageError } from '../../src/errors.js';
import { type PromptInput, readFirstLine, readHidden } from '../../src/output/prompt.js';
import { startMosquittoWithAuth } from '../broker/auth/mosquitto-auth.js';
import { peers } from '../helpers/peers.js';
import { tempDir } from '../helpers/processes.js';

/** Runs `mqx passwd ...args` through yargs, as src/cli.ts will once the command is registered. */
const run = (...args: string[]) =>
  yargs()
    .command(passwd)
    .strict()
    .exitProcess(false)
    .fail(false)
    .parseAsync(['passwd', ...args]);

const fileIn = () => path.join(tempDir('mqx-passwd-cmd-'), 'passwd');

async function verifies(file: string, user: string, password: string): Promise<boolean> {
  return await parsePasswordFile(readFileSync(file, 'utf8'), file).verify(user, Buffer.from(password));
}

describe('mqx passwd (batch mode)', () => {
  it('-c -b creates the file with mode 0600 and a $7$ entry', async () => {
    const file = fileIn();
    await run('-c', '-b', file, 'alice', 'secret');
    expect(readFileSync(file, 'utf8')).toMatch(/^alice:\$7\$101\$\S+\n$/);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(await verifies(file, 'alice', 'secret')).toBe(true);
    expect(readdirSync(path.dirname(file))).toEqual(['passwd']); // no temp file left behind
  });

  it('adds, changes and deletes users, keeping every other line as it was', async () => {
    const file = fileIn();
    await run('-c', '-b', file, 'alice', 'a');
    writeFileSync(file, `# managed by hand\n${readFileSync(file, 'utf8')}\n`);
    await run('-b', file, 'bob', 'b');
    const before = readFileSync(file, 'utf8').split('\n');
    await run('-b', file, 'alice', 'a2');
    const after = readFileSync(file, 'utf8').split('\n');
    expect(after[0]).toBe('# managed by hand');
    expect(after[1]).not.toBe(before[1]); // alice changed in place
    expect(after.slice(2)).toEqual(before.slice(2)); // the blank line and bob untouched
    expect(await verifies(file, 'alice', 'a2')).toBe(true);
    await run('-D', file, 'alice');
    expect(readFileSync(file, 'utf8')).toBe(`# managed by hand\n\n${before[3]}\n`);
  });

  it('drops later duplicates of the user, which would shadow the new password', async () => {
    const file = fileIn();
    await run('-c', '-b', file, 'u', 'one');
    writeFileSync(file, `${readFileSync(file, 'utf8')}${readFileSync(file, 'utf8')}`);
    await run('-b', file, 'u', 'two');
    expect(readFileSync(file, 'utf8').split('\n').filter(Boolean)).toHaveLength(1);
    expect(await verifies(file, 'u', 'two')).toBe(true);
  });

  it('-c replaces an existing file', async () => {
    const file = fileIn();
    await run('-c', '-b', file, 'alice', 'a');
    await run('-c', '-b', file, 'bob', 'b');
    expect(readFileSync(file, 'utf8')).toMatch(/^bob:\S+\n$/);
  });

  it('keeps numbers-only passwords and usernames as strings', async () => {
    const file = fileIn();
    await run('-c', '-b', file, '007', '0123');
    expect(await verifies(file, '007', '0123')).toBe(true);
  });

  it('-U hashes plain-text lines in place and leaves hashed ones alone', async () => {
    const file = fileIn();
    await run('-c', '-b', file, 'hashed', 'h');
    const hashed = readFileSync(file, 'utf8');
    writeFileSync(file, `# users\ncarol:plain\n${hashed}dave:pw:with:colon\r\n`);
    await run('-U', file);
    const lines = readFileSync(file, 'utf8').split('\n');
    expect(lines[0]).toBe('# users');
    expect(lines[2]).toBe(hashed.trimEnd());
    expect(await verifies(file, 'carol', 'plain')).toBe(true);
    expect(await verifies(file, 'dave', 'pw:with:colon')).toBe(true);
    expect(await verifies(file, 'hashed', 'h')).toBe(true);
  });

  const usage: Array<[string, string[], RegExp]> = [
    ['a password without -b', ['f', 'u', 'p'], /needs -b/],
    ['-b without a password', ['-b', 'f', 'u'], /-b needs the password/],
    ['-c with -D', ['-c', '-D', 'f', 'u'], /-c and -D cannot be used together/],
    ['-D with a password', ['-D', '-b', 'f', 'u', 'p'], /-D takes no password/],
    ['-U with a user', ['-U', 'f', 'u'], /-U converts FILE in place/],
    ['no user', ['f'], /name the user/],
    ["':' in the username", ['-c', '-b', 'f', 'a:b', 'p'], /must not contain ':'/],
    ['control characters in the username', ['-c', '-b', 'f', 'a\tb', 'p'], /control characters/],
  ];
  it.each(usage)('refuses %s (exit 2)', async (_, args, message) => {
    const err = await run(...args).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).exitCode).toBe(ExitCode.Usage);
    expect((err as Error).message).toMatch(message);
  });

  it('needs -c to create a file, and names the file', async () => {
    const file = fileIn();
    await expect(run('-b', file, 'u', 'p')).rejects.toThrow(`${file}: no such file (-c creates it)`);
    expect(existsSync(file)).toBe(false);
  });

  it('-D of an unknown user fails (exit 1) and leaves the file alone', async () => {
    const file = fileIn();
    await run('-c', '-b', file, 'alice', 'a');
    const before = readFileSync(file, 'utf8');
    const err = await run('-D', file, 'bob').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MqxError);
    expect((err as MqxError).exitCode).toBe(ExitCode.Failure);
    expect(readFileSync(file, 'utf8')).toBe(before);
  });

  it('-U names the line it cannot convert', async () => {
    const file = fileIn();
    writeFileSync(file, 'ok:pw\nnocolon\n');
    await expect(run('-U', file)).rejects.toThrow(`${file}:2: expected "username:password"`);
    expect(readFileSync(file, 'utf8')).toBe('ok:pw\nnocolon\n');
  });
});

describe.runIf(peers.mosquittoPasswd() && peers.mosquitto() && peers.mosquittoClients())(
  'with mosquitto',
  () => {
    it('edits a mosquitto_passwd file, and mosquitto accepts the result', async () => {
      const dir = tempDir('mqx-passwd-cmd-');
      const file = path.join(dir, 'passwd');
      await execa('mosquitto_passwd', ['-c', '-b', file, 'alice', 'a-pw']);
      const alice = readFileSync(file, 'utf8');
      await run('-b', file, 'bob', 'b-pw');
      expect(readFileSync(file, 'utf8').startsWith(alice)).toBe(true);
      const broker = await startMosquittoWithAuth({
        passwd: readFileSync(file, 'utf8'),
        extra: 'allow_anonymous false\n',
      });
      try {
        const login = (u: string, p: string) =>
          execa('mosquitto_pub', ['-p', String(broker.port), '-u', u, '-P', p, '-t', 't', '-m', 'x'], {
            reject: false,
          });
        const results = await Promise.all([
          login('alice', 'a-pw'),
          login('bob', 'b-pw'),
          login('bob', 'a-pw'),
        ]);
        expect(results.map((r) => r.exitCode)).toEqual([0, 0, 5]);
      } finally {
        await broker.stop();
      }
    });
  },
);

/** A terminal as far as the prompt can tell: raw mode is recorded, keys are written by the test. */
function fakeTty() {
  const input = new PassThrough() as PassThrough & PromptInput;
  input.isTTY = true;
  const rawModes: boolean[] = [];
  input.setRawMode = (mode: boolean) => rawModes.push(mode);
  const output = new PassThrough();
  let shown = '';
  output.on('data', (c: Buffer) => {
    shown += c.toString();
  });
  /** Types `keys` once the prompt shows `text`. */
  const typeAfter = async (text: string, keys: string) => {
    await vi.waitFor(() => expect(shown).toContain(text));
    input.write(keys);
  };
  return { input, output, rawModes, typeAfter, shown: () => shown };
}

const options = (file: string, over: Partial<PasswdOptions> = {}): PasswdOptions => ({
  file,
  user: 'alice',
  create: true,
  batch: false,
  delete: false,
  updatePlaintext: false,
  ...over,
});

describe('password prompts', () => {
  it('asks twice on a terminal without echo, and restores the terminal', async () => {
    const file = fileIn();
    const tty = fakeTty();
    const done = runPasswd(options(file), tty);
    await tty.typeAfter('Password: ', 's3x\x7fcret\r'); // a typo fixed with Backspace
    await tty.typeAfter('Reenter password: ', 's3cret\r');
    await done;
    expect(await verifies(file, 'alice', 's3cret')).toBe(true);
    expect(tty.shown()).toBe('Password: \nReenter password: \n'); // nothing typed is shown
    expect(tty.rawModes).toEqual([true, false, true, false]);
  });

  it('refuses different passwords and an empty one', async () => {
    const file = fileIn();
    const tty = fakeTty();
    const mismatch = runPasswd(options(file), tty);
    await tty.typeAfter('Password: ', 'one\r');
    await tty.typeAfter('Reenter password: ', 'two\r');
    await expect(mismatch).rejects.toThrow('the passwords do not match');
    const empty = fakeTty();
    const none = runPasswd(options(file), empty);
    await empty.typeAfter('Password: ', '\r');
    await expect(none).rejects.toThrow('empty password');
    expect(existsSync(file)).toBe(false);
  });

  it('Ctrl-C interrupts (exit 130), Ctrl-U clears the line, Ctrl-D ends it', async () => {
    const a = fakeTty();
    const interrupted = readHidden('P: ', a.input, a.output);
    a.input.write('abc\x03');
    await expect(interrupted).rejects.toMatchObject({ exitCode: ExitCode.Interrupted });
    expect(a.rawModes).toEqual([true, false]);
    const b = fakeTty();
    const cleared = readHidden('P: ', b.input, b.output);
    b.input.write('wrong\x15right\x04');
    expect(await cleared).toBe('right');
  });

  it('reads the first line of stdin when it is not a terminal', async () => {
    const file = fileIn();
    const input = new PassThrough();
    input.end('from-pipe\r\nsecond line\n');
    await runPasswd(options(file), { input, output: new PassThrough() });
    expect(await verifies(file, 'alice', 'from-pipe')).toBe(true);
  });

  it('never hangs on stdin: empty is an error at once, silence after the timeout', async () => {
    const empty = new PassThrough();
    empty.end();
    await expect(readFirstLine(empty)).rejects.toThrow('no password on stdin');
    const noNewline = new PassThrough();
    noNewline.end('last');
    expect(await readFirstLine(noNewline)).toBe('last');
    await expect(readFirstLine(new PassThrough(), 50)).rejects.toThrow(
      /no password arrived on stdin within 0.05 s/,
    );
  });
});
