import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateCompletion } from '../../commands/completion.js';
import { SHELLS } from '../../src/output/completion.js';
import { ROOT, runMqx } from '../helpers/processes.js';

const FILES = {
  bash: 'completions/mqx.bash',
  zsh: 'completions/_mqx',
  fish: 'completions/mqx.fish',
} as const;

function hasShell(shell: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${shell}`], { stdio: 'ignore' }).status === 0;
}

describe('completion scripts', () => {
  it.each(SHELLS)(
    'completions/ holds what `mqx completion %s` prints (UPDATE_COMPLETIONS=1 rewrites it)',
    async (shell) => {
      const file = path.join(ROOT, FILES[shell]);
      const generated = await generateCompletion(shell);
      if (process.env.UPDATE_COMPLETIONS === '1') writeFileSync(file, generated);
      expect(readFileSync(file, 'utf8')).toBe(generated);
    },
  );

  it('offers the pub and sub flags users reach for', async () => {
    const bash = await generateCompletion('bash');
    const pub = /pub\) flags="([^"]*)"/.exec(bash)![1]!.split(' ');
    const sub = /sub\) flags="([^"]*)"/.exec(bash)![1]!.split(' ');
    expect(pub).toEqual(
      expect.arrayContaining([
        '-t',
        '-m',
        '-q',
        '-r',
        '--simulate',
        '-h',
        '--host',
        '-L',
        '-D',
        '-c',
        '--no-clean',
      ]),
    );
    expect(sub).toEqual(
      expect.arrayContaining(['-C', '-W', '-E', '-R', '-F', '-T', '-U', '-v', '-N', '--json', '--no-local']),
    );
    expect(pub).not.toContain('--topics'); // a positional, not a flag
  });

  it.each(SHELLS.filter(hasShell))('the %s script parses', (shell) => {
    const flag = shell === 'fish' ? '--no-execute' : '-n';
    const r = spawnSync(shell, [flag, path.join(ROOT, FILES[shell])], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('`mqx completion bash` prints the script; an unknown shell is a usage error', async () => {
    const r = await runMqx(['completion', 'bash']);
    expect(r.exitCode).toBe(0);
    expect(`${Buffer.from(r.stdout).toString()}\n`).toBe(readFileSync(path.join(ROOT, FILES.bash), 'utf8'));
    expect((await runMqx(['completion', 'tcsh'])).exitCode).toBe(2);
  });
});
