#!/usr/bin/env -S node --max-semi-space-size=8
// An 8 MB young generation, not V8's 16: most of a message's garbage dies young (QoS 1/2
// throughput, and the tail at high load, as `npm run bench` measures them), while a scavenge stays
// short. What it grows to in a burst of connections goes back within about 20 s of idle (V8's
// memory reducer), after the broker's own full collection (src/broker/idle-gc.ts).
// CommonJS (bin/package.json) so that `mqx pub` never starts Node's ES module loader: see
// scripts/bundle-cli.js.
require('../dist/src/cli.cjs');
