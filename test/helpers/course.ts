import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { ROOT, tempDir } from './processes.js';

/**
 * The course's configs and paho scripts exactly as a student types them, outside this repository
 * (read-only, next to it). Tests use them unchanged; only their /var and /etc paths are redirected.
 */
export const COURSE = path.resolve(ROOT, '../shared/reference/course');
if (!existsSync(path.join(COURSE, 'central.conf')))
  throw new Error(`the course's files are not at ${COURSE} (../shared/reference/course from the repository)`);

/** Every config of the course, by file name. */
export const COURSE_CONFIGS = [
  'mosquitto.conf',
  'central.conf',
  'bridge.conf',
  'challenge-bridge1.conf',
  'challenge-bridge2.conf',
  'challenge-bridge3.conf',
] as const;

/** The folders the course's configs name, under `root`, as a Debian install has them. */
export const COURSE_DIRS = ['etc/mosquitto/conf.d', 'var/lib/mosquitto', 'var/log/mosquitto'] as const;

/** A fresh MQX_PATH_PREFIX holding COURSE_DIRS. */
export function coursePrefix(): string {
  const dir = tempDir('mqx-prefix-');
  for (const sub of COURSE_DIRS) mkdirSync(path.join(dir, sub), { recursive: true });
  return dir;
}

/** The same, as shell lines for a netns scenario: one folder for every broker, as on one machine. */
export const coursePrefixScript = (prefix: string) =>
  `mkdir -p ${COURSE_DIRS.map((d) => `"${prefix}/${d}"`).join(' ')}`;
