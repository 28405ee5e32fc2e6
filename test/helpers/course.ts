import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { MOSQUITTO } from './peers.js';
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

/**
 * Shell lines for a netns scenario (test/helpers/netns.ts): $MACHINE, one folder standing for the
 * machine's /etc and /var that every broker of the scenario shares, as on one machine. The log
 * and persistence folders are writable by mosquitto, which drops root for its own user.
 */
export const courseMachineScript = `
export MACHINE="$OUT/machine"
${COURSE_DIRS.map((d) => `mkdir -p "$MACHINE/${d}"`).join('\n')}
chmod 777 "$MACHINE/var/lib/mosquitto" "$MACHINE/var/log/mosquitto"
touch "$MACHINE/var/log/mosquitto/mosquitto.log"
chmod 666 "$MACHINE/var/log/mosquitto/mosquitto.log"`;

/** Starts `mqx broker -c` on a course config, unchanged, its paths under $MACHINE; output in $OUT/LOG. */
export const mqxCourseBroker = (conf: string, log: string) =>
  `MQX_PATH_PREFIX="$MACHINE" $MQX broker -c ${path.join(COURSE, conf)} -v > "$OUT/${log}" 2>&1 &`;

/**
 * Starts Debian's mosquitto on a course config, unchanged. mosquitto cannot redirect paths, so it
 * runs in a mount namespace of its own where $MACHINE's folders are mounted on /etc and /var.
 */
export const mosquittoCourseBroker = (conf: string, log: string) =>
  `unshare -m sh -c '${COURSE_DIRS.map((d) => `mount --bind "$MACHINE/${d}" /${d}`).join(' && ')} && exec ${MOSQUITTO} -c ${path.join(COURSE, conf)} -v' > "$OUT/${log}" 2>&1 &`;
