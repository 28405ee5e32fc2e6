import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { MQX_BIN, ROOT, tempDir } from './processes.js';

/**
 * Runs a bash scenario in a network namespace of its own, with only a loopback interface.
 * The course's scripts and configs hardcode ports 1883-1886; in here they are free and private,
 * so tests run them unchanged, in parallel, without touching a broker on this machine's 1883.
 * The script gets $MQX (the mqx command), $OUT (a directory for its outputs) and `wait_port PORT`.
 */
export async function runInNetns(
  script: string,
  timeoutMs = 60_000,
): Promise<{ out: string; stdout: string; stderr: string; exitCode: number | undefined }> {
  const out = tempDir('mqx-netns-');
  const file = path.join(out, 'scenario.sh');
  writeFileSync(
    file,
    `set -u
trap 'kill $(jobs -p) 2>/dev/null; wait 2>/dev/null' EXIT
ip link set lo up
MQX="node ${MQX_BIN}"
OUT="${out}"
wait_port() { for _ in $(seq 1 200); do (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null && return 0; sleep 0.05; done; echo "port $1 never opened" >&2; return 1; }
${script}
`,
  );
  const r = await execa('unshare', ['-n', 'bash', file], {
    cwd: ROOT,
    reject: false,
    timeout: timeoutMs,
    stdin: 'ignore',
    env: { NO_COLOR: '1', PYTHONUNBUFFERED: '1' },
  });
  return { out, stdout: String(r.stdout), stderr: String(r.stderr), exitCode: r.exitCode };
}
