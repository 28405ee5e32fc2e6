/**
 * Bundles what tsc wrote to dist/ into a few CommonJS files, which bin/mqx.js loads instead of the
 * ES modules. Node's ES module loader is costly for a command line: `mqx pub` through it took
 * about 75 ms more than `node -e 0`, from one CommonJS file about 35 ms (best of 40 runs each),
 * and an idle `mqx broker` held about 5 MB more.
 *
 * One bundle per entry below, each written beside its source as NAME.cjs: dist/src/cli.cjs holds
 * the command line with `pub` and `sub`, the other commands have their own, so a one-shot publish
 * never parses the broker. A dynamic import of another entry becomes a require() of its bundle,
 * made only when that path runs; packages stay in node_modules and are required the same way.
 */
import { cp, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { build } from 'esbuild';

const DIST = path.resolve('dist');

const ENTRIES = [
  'src/cli.js',
  'src/yargs-program.js',
  'commands/broker.js',
  'commands/bridge.js',
  'commands/bench.js',
  'commands/passwd.js',
  'commands/completion.js',
  'commands/explore.js',
  'commands/rr.js',
  'commands/record.js',
  'commands/replay.js',
  'commands/test.js',
  'commands/up.js',
  'commands/ctl.js',
  // Only with --http or an http_api listener: an idle broker without one never reads it.
  'src/admin/index.js',
  // Only for --profile or a config file in the working directory; it brings cosmiconfig anyway.
  'src/config/native.js',
  // Only for pub --encode, sub --decode and --simulate sparkplug: they bring protobufjs, cbor-x, msgpack.
  'commands/shared/payload.js',
  'src/simulate/sparkplug.js',
].map((file) => path.join(DIST, file));

const bundleOf = (file) => file.replace(/\.js$/, '.cjs');

/** A dynamic import of another entry: left to run time, as a require() of that entry's bundle. */
function otherEntries(outfile) {
  return {
    name: 'other-entries',
    setup(b) {
      b.onResolve({ filter: /^\./ }, (args) => {
        if (args.kind !== 'dynamic-import') return undefined;
        const target = path.resolve(args.resolveDir, args.path);
        if (!ENTRIES.includes(target) || bundleOf(target) === outfile) return undefined;
        const relative = path.relative(path.dirname(outfile), bundleOf(target));
        return { path: relative.startsWith('.') ? relative : `./${relative}`, external: true };
      });
    },
  };
}

/**
 * esbuild gives an ES module's require() of a CommonJS file Node's interop, where `default` is the
 * whole exports object; another entry's bundle is one of ours, whose `default` is its own.
 */
const ownInterop = (code) => code.replace(/__toESM\((require\("\.[^"]+\.cjs"\)),\s*1\)/g, '$1');

await Promise.all(
  ENTRIES.map(async (entry) => {
    const outfile = bundleOf(entry);
    const result = await build({
      entryPoints: [entry],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      // import() becomes a lazy require(): the ES module loader never starts (Node >= 20.19
      // requires the ES-only packages chalk, ora and yargs without it).
      supported: { 'dynamic-import': false },
      packages: 'external',
      // src/version.ts finds package.json from its own location.
      define: { 'import.meta.url': 'bundleUrl' },
      banner: { js: "const bundleUrl = require('node:url').pathToFileURL(__filename).href;" },
      plugins: [otherEntries(outfile)],
      // Node keeps each bundle's source in memory, in two bytes a character if any is not ASCII:
      // dropping comments and indentation took an idle broker's two (cli, broker) from 994 KB to 351 KB.
      minifyWhitespace: true,
      logLevel: 'warning',
      write: false,
    });
    await writeFile(outfile, ownInterop(result.outputFiles[0].text));
  }),
);

// The dashboard's static files, which src/admin/static-files.ts reads beside its bundle.
await cp('src/admin/dashboard', path.join(DIST, 'src/admin/dashboard'), { recursive: true });
