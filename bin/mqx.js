#!/usr/bin/env -S node --max-semi-space-size=8 --no-concurrent-recompilation
// An 8 MB young generation, not V8's 16: most of a message's garbage dies young (QoS 1/2
// throughput, and the tail at high load, as `npm run bench` measures them), while a scavenge stays
// short. What it grows to in a burst of connections goes back within about 20 s of idle (V8's
// memory reducer), after the broker's own full collection (src/broker/idle-gc.ts).
// Optimizing compiles on the main thread, not on V8's compiler threads: those get glibc malloc
// arenas of their own, about 3 MB of RSS in all that the process never gives back, and on a
// broker given one core (as `npm run bench` pins it) they only take turns with the main thread.
// Measured in `npm run bench`: 10,000 idle connections 450 B each above a bare net.Server with
// it, 514-613 B without; QoS 1 throughput 13-18% higher against mosquitto; the latency tail at
// 1,000 msg/s the same against mosquitto.
// CommonJS (bin/package.json) so that `mqx pub` never starts Node's ES module loader: see
// scripts/bundle-cli.js.
require('../dist/src/cli.cjs');
