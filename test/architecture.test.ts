/**
 * Imports go one way (docs/ARCHITECTURE.md): the broker core never reaches up into what extends
 * it, not even with a dynamic import, so bridges, the cluster, admin and every later extension
 * attach through its hooks in the composition root (src/server.ts).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers/processes.js';

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return sources(full);
    return e.name.endsWith('.ts') ? [full] : [];
  });
}

const IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)['"]([^'"]+)['"]/g;

/** Every module a text imports: static, type-only, re-exported or dynamic. */
function importsIn(text: string): string[] {
  return [...text.matchAll(IMPORT)].map((m) => m[1]!);
}

/** What src/broker may import: itself and the layers below it. */
const BELOW_BROKER = [
  'src/broker/',
  'src/protocol/',
  'src/topics/',
  'src/config/',
  'src/transport/',
  'src/output/',
];
const BELOW_FILES = ['src/errors.ts', 'src/version.ts'];

function violations(dir: string, allowed: (target: string) => boolean): string[] {
  const out: string[] = [];
  for (const file of sources(path.join(ROOT, dir))) {
    for (const spec of importsIn(readFileSync(file, 'utf8'))) {
      if (!spec.startsWith('.')) continue;
      const target = path.relative(ROOT, path.resolve(path.dirname(file), spec)).replace(/\.js$/, '.ts');
      if (!allowed(target)) out.push(`${path.relative(ROOT, file)} imports ${target}`);
    }
  }
  return out;
}

describe('the direction of imports', () => {
  it('src/broker imports nothing from bridge, cluster, admin, server or any command', () => {
    expect(
      violations('src/broker', (t) => BELOW_BROKER.some((p) => t.startsWith(p)) || BELOW_FILES.includes(t)),
    ).toEqual([]);
  });

  it('the check sees every form of import', () => {
    const text = [
      "import { a } from '../a.js';",
      "import type { B } from '../b.js';",
      "export { c } from '../c.js';",
      "import '../d.js';",
      "const { joinCluster } = await import('../cluster/index.js');",
    ].join('\n');
    expect(importsIn(text)).toEqual(['../a.js', '../b.js', '../c.js', '../d.js', '../cluster/index.js']);
  });

  it('src/protocol is pure: it imports only itself', () => {
    expect(violations('src/protocol', (t) => t.startsWith('src/protocol/'))).toEqual([]);
  });
});
