/**
 * Top self-time functions of a V8 .cpuprofile (from `node --cpu-prof`): sample time is summed per
 * node from timeDeltas, then per function (name, file, line), and given as a share of all
 * non-idle samples. Usable alone: `node dist/benchmarks/profile-summary.js FILE.cpuprofile [N]`.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface HotFunction {
  name: string;
  location: string;
  selfMs: number;
  percent: number;
}

function where(frame: ProfileNode['callFrame']): string {
  if (!frame.url) return '';
  const file = frame.url.replace(/^file:\/\//, '').replace(/^.*\/(dist|node_modules)\//, '$1/');
  return `${file}:${frame.lineNumber + 1}`;
}

export function hotFunctions(profile: CpuProfile, top = 15): HotFunction[] {
  const byNode = new Map<number, ProfileNode>(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<string, { name: string; location: string; us: number }>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const node = byNode.get(id);
    if (node === undefined || node.callFrame.functionName === '(idle)') return;
    const us = profile.timeDeltas[i] ?? 0;
    total += us;
    const location = where(node.callFrame);
    const name = node.callFrame.functionName || '(anonymous)';
    const key = `${name}@${location}`;
    const entry = selfUs.get(key) ?? { name, location, us: 0 };
    entry.us += us;
    selfUs.set(key, entry);
  });
  return [...selfUs.values()]
    .sort((a, b) => b.us - a.us)
    .slice(0, top)
    .map((e) => ({
      name: e.name,
      location: e.location,
      selfMs: e.us / 1000,
      percent: total > 0 ? (100 * e.us) / total : 0,
    }));
}

export function formatHot(hot: HotFunction[]): string {
  return hot
    .map(
      (h, i) =>
        `${String(i + 1).padStart(2)}. ${h.percent.toFixed(1).padStart(5)}%  ${h.name}  ${h.location}`,
    )
    .join('\n');
}

export function summariseFile(file: string, top = 15): HotFunction[] {
  return hotFunctions(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, top);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write('usage: profile-summary FILE.cpuprofile [N]\n');
    process.exit(2);
  }
  process.stdout.write(`${formatHot(summariseFile(file, Number(process.argv[3] ?? 15)))}\n`);
}
