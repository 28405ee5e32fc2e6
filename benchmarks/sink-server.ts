/**
 * The sink as a bench target, in its own process like the other brokers: `node
 * dist/benchmarks/sink-server.js PORT`. What it does and does not do: benchmarks/baselines.ts.
 */
import { createSinkServer, listenUntilSignal } from './baselines.js';

listenUntilSignal('sink', createSinkServer());
