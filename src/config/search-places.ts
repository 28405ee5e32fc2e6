import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** Where cosmiconfig looks for mqx's own config, in its order: the first one found is used. */
export const SEARCH_PLACES = [
  'package.json',
  'mqx.config.json',
  'mqx.config.yaml',
  'mqx.config.yml',
  'mqx.config.js',
  'mqx.config.mjs',
  'mqx.config.cjs',
  '.mqxrc',
  '.mqxrc.json',
  '.mqxrc.yaml',
  '.mqxrc.yml',
];

/**
 * Whether `dir` holds an mqx config (a file above, or an `mqx` key in package.json), found without
 * cosmiconfig: most runs have no config, and loading cosmiconfig costs a one-shot `mqx pub` time
 * and an idle broker memory.
 */
export function hasConfigFile(dir: string): boolean {
  for (const place of SEARCH_PLACES) {
    const file = path.join(dir, place);
    if (place !== 'package.json') {
      if (existsSync(file)) return true;
      continue;
    }
    try {
      if ('mqx' in JSON.parse(readFileSync(file, 'utf8'))) return true;
    } catch {
      // No package.json, or one that is not JSON: cosmiconfig would not take a config from it either.
    }
  }
  return false;
}
