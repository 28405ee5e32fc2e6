/**
 * The admin module costs a broker nothing unless configured: src/broker never imports it, and a
 * broker started without --http never loads its bundle (nor any file of dist/src/admin).
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, startMqxBroker, tempDir } from '../helpers/processes.js';

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? sources(path.join(dir, e.name))
      : e.name.endsWith('.ts')
        ? [path.join(dir, e.name)]
        : [],
  );
}

describe('loading the admin module', () => {
  it('src/broker imports nothing from src/admin', () => {
    const files = sources(path.join(ROOT, 'src/broker'));
    expect(files.length).toBeGreaterThan(20);
    const offenders = files.filter((f) =>
      /from '(\.\.\/)+admin\/|import\('(\.\.\/)+admin\//.test(readFileSync(f, 'utf8')),
    );
    expect(offenders).toEqual([]);
  });

  const dir = tempDir('mqx-admin-load-');
  const log = path.join(dir, 'modules.log');
  const hook = path.join(dir, 'require-hook.cjs');
  writeFileSync(
    hook,
    `const Module = require('node:module');
const fs = require('node:fs');
const { appendFileSync } = fs;
const load = Module._load;
Module._load = function (request, parent, isMain) {
  const resolved = Module.isBuiltin(request) ? request : Module._resolveFilename(request, parent, isMain);
  appendFileSync(${JSON.stringify(log)}, resolved + '\\n');
  return load.apply(this, arguments);
};
const readFile = fs.promises.readFile;
fs.promises.readFile = function (file, ...rest) {
  appendFileSync(${JSON.stringify(log)}, String(file) + '\\n');
  return readFile.call(this, file, ...rest);
};
`,
  );

  async function loadedBy(args: string[]): Promise<string> {
    writeFileSync(log, '');
    const broker = await startMqxBroker(args, {
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require ${hook}`,
    });
    // Past start-up: the admin listener (if any) is open once its line is logged.
    for (
      let i = 0;
      i < 100 && args.includes('--http') && !broker.log.some((l) => l.includes('http_api'));
      i++
    )
      await new Promise((r) => setTimeout(r, 50));
    await broker.stop();
    return readFileSync(log, 'utf8');
  }

  it('an idle broker without --http loads none of it', async () => {
    const loaded = await loadedBy([]);
    expect(loaded).toMatch(/dist\/commands\/broker\.cjs/);
    expect(loaded).not.toMatch(/\/src\/admin\//);
    expect(loaded).not.toMatch(/node:http\b/);
  });

  it('with --http it loads the admin bundle', async () => {
    expect(await loadedBy(['--http', '0'])).toMatch(/dist\/src\/admin\/index\.cjs/);
  });
});
