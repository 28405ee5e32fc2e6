#!/usr/bin/env -S node --max-semi-space-size=1 --expose-gc
// A 1 MB young generation and an idle full collection (src/broker/idle-gc.ts) halve what an idle
// connection costs the broker; the throughput cost measured in `npm run bench` is within noise.
import '../dist/src/cli.js';
