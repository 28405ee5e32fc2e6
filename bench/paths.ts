import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, from dist/bench/ or from bench/ alike. */
export const ROOT = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  import.meta.url.includes('/dist/') ? '../..' : '..',
);
