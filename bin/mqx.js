#!/usr/bin/env -S node --max-semi-space-size=1
// A 1 MB young generation and an idle full collection (src/broker/idle-gc.ts) halve what an idle
// connection costs the broker; the throughput cost measured in `npm run bench` is within noise.
// CommonJS (bin/package.json) so that `mqx pub` never starts Node's ES module loader: see
// scripts/bundle-cli.js.
require('../dist/src/cli.cjs');
