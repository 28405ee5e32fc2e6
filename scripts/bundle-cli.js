/**
 * Bundles the command line's entry, with `mqx pub` and `mqx sub` and all they import, into one
 * CommonJS file, dist/src/cli.cjs, which bin/mqx.js loads. A one-shot `mqx pub` spends most of its
 * life loading code: through Node's ES module loader the ~40 modules of dist/ cost about 60 ms
 * more than `node -e 0`, one CommonJS file about 30 ms (`node dist/bench/cold-start.js`).
 *
 * The other commands stay out of the bundle, as the ES modules tsc writes: cli.cjs imports them
 * with the same relative paths as dist/src/cli.js, so `mqx broker` loads what it did before.
 * Packages stay external too and load from node_modules when a path needs them (chalk, ora, ws,
 * cosmiconfig only on a terminal or with the flag that asks for them).
 */
import { build } from 'esbuild';

const UNBUNDLED = [
  'commands/broker.js',
  'commands/bridge.js',
  'commands/bench.js',
  'commands/passwd.js',
  'commands/completion.js',
  'src/yargs-program.js',
  // Only for --profile or a config file in the working directory; it brings cosmiconfig anyway.
  'src/config/native.js',
];

await build({
  entryPoints: ['dist/src/cli.js'],
  outfile: 'dist/src/cli.cjs',
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  packages: 'external',
  external: UNBUNDLED.map((file) => `./dist/${file}`),
  logLevel: 'warning',
});
