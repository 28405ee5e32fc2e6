/**
 * Value parsing shared by the mosquitto.conf parser and mqx's own config: numbers with ranges,
 * booleans, durations, secrets and path re-rooting. Each parser takes a `where` prefix ("FILE:LINE"
 * or "FILE: key.path") so that every error names the place and the key.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { ConfigError } from '../errors.js';

export function configError(where: string, message: string): ConfigError {
  return new ConfigError(`${where}: ${message}`);
}

export function parseIntInRange(
  where: string,
  key: string,
  raw: string | undefined,
  min: number,
  max: number,
): number {
  if (raw !== undefined && /^-?\d+$/.test(raw)) {
    const value = Number(raw);
    if (value >= min && value <= max) return value;
  }
  throw configError(where, `'${key}' expects a number from ${min} to ${max}, got '${raw ?? ''}'`);
}

/** mosquitto accepts exactly `true` and `false`. */
export function parseBool(where: string, key: string, raw: string | undefined): boolean {
  if (raw === 'true') return true;
  if (raw === 'false') return false;
  throw configError(where, `'${key}' expects true or false, got '${raw ?? ''}'`);
}

export function parseChoice<C extends string>(
  where: string,
  key: string,
  raw: string | undefined,
  choices: readonly C[],
): C {
  if (raw !== undefined && (choices as readonly string[]).includes(raw)) return raw as C;
  throw configError(where, `'${key}' expects one of ${choices.join(', ')}, got '${raw ?? ''}'`);
}

/** mosquitto's persistent_client_expiration units: hours, days, weeks, months (30 d), years (365 d). */
const DURATION_UNITS: Record<string, number> = {
  h: 3600,
  d: 86400,
  w: 7 * 86400,
  m: 30 * 86400,
  y: 365 * 86400,
};

/** `N` followed by h, d, w, m or y, in seconds. */
export function parseDuration(where: string, key: string, raw: string | undefined): number {
  const m = raw === undefined ? null : /^(\d+)([hdwmy])$/.exec(raw);
  if (!m || Number(m[1]) === 0) {
    throw configError(where, `'${key}' expects a duration like 3h, 1d, 2w, 6m or 1y, got '${raw ?? ''}'`);
  }
  return Number(m[1]) * DURATION_UNITS[m[2]!]!;
}

export interface SecretOptions {
  env?: NodeJS.ProcessEnv;
  /** Re-roots the path of a `file:` secret like any other path. */
  mapPath: (path: string) => string;
}

/**
 * mqx extension, so that passwords need not be written into config files: `${NAME}` is the
 * environment variable NAME, `file:/path` the first line of that file. Anything else is literal.
 */
export function resolveSecret(where: string, key: string, raw: string, options: SecretOptions): string {
  const env = /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$/.exec(raw);
  if (env) {
    const value = (options.env ?? process.env)[env[1]!];
    if (value === undefined) {
      throw configError(where, `'${key}' names the environment variable ${env[1]}, which is not set`);
    }
    return value;
  }
  if (raw.startsWith('file:')) {
    const path = options.mapPath(raw.slice('file:'.length));
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      throw configError(where, `'${key}' cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? e}`);
    }
    return text.split(/\r?\n/, 1)[0]!;
  }
  return raw;
}

/**
 * The path mapper for a config: relative paths resolve against the working directory, as
 * mosquitto does; absolute ones are re-rooted under `prefix` when one is given (MQX_PATH_PREFIX),
 * like a chroot, so that a config written for /etc and /var runs unchanged in a test directory.
 */
export function pathMapper(prefix: string | undefined): (path: string) => string {
  return (path) => {
    if (!isAbsolute(path)) return resolve(path);
    return prefix ? join(prefix, path) : path;
  };
}

/** Levenshtein distance, for "did you mean" hints on misspelt keys. */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length]!;
}

/** ` (did you mean 'x'?)` for the closest known name, or '' when none is close. */
export function suggestion(name: string, known: Iterable<string>): string {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(name.length / 4)) + 1;
  for (const candidate of known) {
    const d = distance(name, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best ? ` (did you mean '${best}'?)` : '';
}
