/**
 * The bare net.Server baseline for idle connections, in its own process and started with mqx's
 * node flags: `node dist/benchmarks/net-server.js PORT`. See benchmarks/baselines.ts.
 */
import { createNetServer, listenUntilSignal } from './baselines.js';

listenUntilSignal('netserver', createNetServer());
