import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { type RunningBroker, startMosquitto, tempDir } from '../../helpers/processes.js';

/**
 * Run as root, mosquitto switches to the "mosquitto" user before reading password and ACL files,
 * and then cannot read our private temp dirs; `user root` keeps it as is (ignored when not root).
 */
const KEEP_USER = process.getuid?.() === 0 ? 'user root\n' : '';

/** Starts Debian's mosquitto with these password and ACL files (text), plus extra config lines. */
export async function startMosquittoWithAuth(files: {
  passwd?: string;
  acl?: string;
  extra?: string;
}): Promise<RunningBroker> {
  const dir = tempDir('mqx-auth-');
  let config = KEEP_USER;
  if (files.passwd !== undefined) {
    writeFileSync(path.join(dir, 'passwd'), files.passwd, { mode: 0o600 });
    config += `password_file ${path.join(dir, 'passwd')}\n`;
  }
  if (files.acl !== undefined) {
    writeFileSync(path.join(dir, 'acl'), files.acl);
    config += `acl_file ${path.join(dir, 'acl')}\n`;
  }
  return startMosquitto(config + (files.extra ?? ''));
}
