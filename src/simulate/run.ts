/**
 * `mqx pub --simulate NAME|FILE`: checks the flags and loads the scenario before connecting (a
 * bad flag or file is exit 2), then ticks: every --interval, each device of each command-line
 * topic gets its next messages from the scenario.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { UsageError } from '../errors.js';
import type { QoS } from '../protocol/types.js';
import { validateTopicName } from '../topics/validate.js';
import { BUILT_IN } from './builtin.js';
import { isScenarioFile, payloadBytes, type Scenario, type ScenarioContext } from './scenario.js';
import { seededRandom } from './sensors.js';

export interface SimulationFlags {
  simulate: string;
  devices?: number;
  count?: number;
  seed?: number;
  interval?: number;
  format?: string;
}

export interface Simulation {
  scenario: Scenario;
  contexts: ScenarioContext[];
  count: number | undefined;
  intervalMs: number;
}

function loadScenarioFile(file: string): Scenario {
  const absolute = path.resolve(file);
  let module: { default?: unknown; next?: unknown };
  try {
    // require() loads ES modules too (Node >= 20.19), from the ES build and the CommonJS bundle alike.
    module = createRequire(import.meta.url)(absolute) as typeof module;
  } catch (err) {
    throw new UsageError(`--simulate ${file}: ${(err as Error).message.split('\n')[0]}`);
  }
  const scenario = typeof module === 'function' ? module : (module.default ?? module.next);
  if (typeof scenario !== 'function')
    throw new UsageError(`--simulate ${file}: export a function (export default function next(ctx) {...})`);
  return scenario as Scenario;
}

export function prepareSimulation(topics: string[], flags: SimulationFlags): Simulation {
  const name = flags.simulate || 'auto';
  let scenario: Scenario;
  if (isScenarioFile(name)) scenario = loadScenarioFile(name);
  else if (Object.hasOwn(BUILT_IN, name)) scenario = BUILT_IN[name]!;
  else
    throw new UsageError(
      `--simulate must be temperature, humidity, auto or a scenario file (./device.js), got "${name}"`,
    );
  if (!isScenarioFile(name) && topics.length === 0)
    throw new UsageError('no topic: give one as an argument or with -t');
  const devices = flags.devices ?? 1;
  if (!Number.isInteger(devices) || devices < 1) throw new UsageError('--devices must be a positive integer');
  if (devices > 1 && topics.length > 0 && !topics.every((t) => t.includes('%i'))) {
    throw new UsageError('--devices needs %i in every topic (e.g. sensors/%i/temperature)');
  }
  const count = flags.count;
  if (count !== undefined && (!Number.isInteger(count) || count < 1))
    throw new UsageError('--count must be a positive integer');
  const random = seededRandom(flags.seed ?? Math.floor(Math.random() * 2 ** 32));
  const format = flags.format === 'json' ? 'json' : 'text';
  const templates = topics.length > 0 ? topics : [undefined];
  const contexts = templates.flatMap((template) =>
    Array.from(
      { length: devices },
      (_, i): ScenarioContext => ({
        device: i + 1,
        devices,
        tick: 0,
        topic: template?.replace(/%i/g, String(i + 1)),
        random,
        now: new Date(),
        format,
        state: {},
      }),
    ),
  );
  return { scenario, contexts, count, intervalMs: (flags.interval ?? 1) * 1000 };
}

export type SimulatedSend = (
  topic: string,
  payload: Buffer | string,
  options: { qos?: QoS; retain?: boolean },
) => Promise<void>;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runSimulation(sim: Simulation, send: SimulatedSend): Promise<void> {
  for (let tick = 0; sim.count === undefined || tick < sim.count; tick++) {
    if (tick > 0) await sleep(sim.intervalMs);
    const now = new Date();
    for (const ctx of sim.contexts) {
      ctx.tick = tick;
      ctx.now = now;
      const out = await sim.scenario(ctx);
      for (const m of out === undefined || out === null ? [] : Array.isArray(out) ? out : [out]) {
        const topic = m.topic ?? ctx.topic;
        if (topic === undefined)
          throw new UsageError('--simulate: a message has no topic and none was given (-t)');
        const problem = validateTopicName(topic);
        if (problem) throw new UsageError(`--simulate: ${problem}`);
        if (m.qos !== undefined && m.qos !== 0 && m.qos !== 1 && m.qos !== 2)
          throw new UsageError(`--simulate: qos must be 0, 1 or 2, got ${String(m.qos)}`);
        await send(topic, payloadBytes(m.payload), {
          ...(m.qos !== undefined ? { qos: m.qos } : {}),
          ...(m.retain !== undefined ? { retain: Boolean(m.retain) } : {}),
        });
      }
    }
  }
}
