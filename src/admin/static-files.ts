/**
 * The dashboard's files, shipped in the package beside this module (src/admin/dashboard/, copied
 * to dist by the build) and read once on first request: nothing from a CDN, nothing generated.
 */
import { readFile } from 'node:fs/promises';

const FILES: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/dashboard.js': { file: 'dashboard.js', type: 'text/javascript; charset=utf-8' },
  '/dashboard.css': { file: 'dashboard.css', type: 'text/css; charset=utf-8' },
  '/favicon.svg': { file: 'favicon.svg', type: 'image/svg+xml' },
};

const cache = new Map<string, Buffer>();

export async function staticFile(path: string): Promise<{ body: Buffer; type: string } | undefined> {
  const entry = Object.hasOwn(FILES, path) ? FILES[path] : undefined;
  if (entry === undefined) return undefined;
  let body = cache.get(entry.file);
  if (body === undefined) {
    body = await readFile(new URL(`./dashboard/${entry.file}`, import.meta.url));
    cache.set(entry.file, body);
  }
  return { body, type: entry.type };
}
