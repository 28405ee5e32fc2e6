/** A wrong bridge block stops `mqx broker -c` and `mqx bridge -c` with the file, the line and why. */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { runMqx, tempDir } from '../helpers/processes.js';
import { mqxBridgeArgs } from './helpers.js';

const CASES: Array<[string, string[], number, RegExp]> = [
  [
    'a topic with a bad direction',
    ['topic srv/# sideways'],
    3,
    /'topic direction' expects one of out, in, both/,
  ],
  ['a topic QoS out of range', ['topic srv/# out 3'], 3, /'topic QoS' expects a number from 0 to 2/],
  ['a lone prefix', ['topic srv/# out 2 local/'], 3, /needs both a local and a remote prefix, or neither/],
  ['an empty pattern without prefixes', ['topic "" out 0'], 3, /empty pattern \(""\) needs both/],
  ['a wildcard prefix', ['topic srv out 0 l/+ r/'], 3, /local prefix 'l\/\+' must not contain \+ or #/],
  ['a misplaced #', ['topic srv/#/x'], 3, /'#' must be the last level/],
  ['a shared pattern', ['topic $share/g/srv'], 3, /must not be a shared subscription/],
  [
    'an anchored remap that cannot be carried back',
    ['topic "" both 1 site1/# +/sensors/#'],
    3,
    /cannot carry 'site1\/#' to '\+\/sensors\/#' \(out\)/,
  ],
  ['an unknown bridge option', ['topic srv/#', 'bridge_frobnicate true'], 4, /unknown|bridge_frobnicate/],
];

function conf(lines: string[], withAddress = true): string {
  const file = path.join(tempDir('mqx-bad-bridge-'), 'bridge.conf');
  writeFileSync(
    file,
    ['connection central', ...(withAddress ? ['address 127.0.0.1:1884'] : []), ...lines, ''].join('\n'),
  );
  return file;
}

async function bothCommands(file: string) {
  const broker = await runMqx(['broker', '-c', file]);
  const bridge = await execa('node', mqxBridgeArgs(['-c', file]), {
    reject: false,
    stdin: 'ignore',
    timeout: 20_000,
  });
  return [
    { name: 'mqx broker -c', exitCode: broker.exitCode, stderr: Buffer.from(broker.stderr).toString() },
    { name: 'mqx bridge -c', exitCode: bridge.exitCode, stderr: String(bridge.stderr) },
  ];
}

describe('bad bridge configuration', () => {
  it.each(CASES)('%s: names the file and line', async (_what, lines, line, message) => {
    const file = conf(lines);
    for (const r of await bothCommands(file)) {
      expect(r.exitCode, r.name).toBe(2);
      expect(r.stderr, r.name).toContain(`${file}:${line}: `);
      expect(r.stderr, r.name).toMatch(message);
    }
  });

  it('a missing address names the connection line', async () => {
    const file = conf(['topic srv/# out 2'], false);
    for (const r of await bothCommands(file)) {
      expect(r.exitCode, r.name).toBe(2);
      expect(r.stderr, r.name).toContain(`${file}:1: bridge 'central': 'address' is missing`);
    }
  });
});
