/**
 * The shape of a `--simulate` scenario, built in or a user's file: a function that, given a
 * context, returns the next messages of one simulated device. The built-in sensors (builtin.ts)
 * are written exactly so, and a scenario file is one module exporting such a function:
 *
 *   export default function next(ctx) {
 *     return { topic: `plant/${ctx.device}/state`, payload: { on: ctx.random() < 0.5 }, qos: 1 };
 *   }
 *
 * The context's `random` is seeded by --seed, so a run can be reproduced; `state` belongs to one
 * device (and command-line topic) and survives from tick to tick, for values that walk.
 */
import type { QoS } from '../protocol/types.js';

export interface ScenarioContext {
  /** 1 to `devices` (--devices). */
  device: number;
  devices: number;
  /** 0 for the first reading, then 1, 2, ... (one tick per --interval). */
  tick: number;
  /** The command-line topic for this device, %i replaced; undefined when none was given. */
  topic: string | undefined;
  /** Uniform in [0, 1), seeded by --seed: the same seed gives the same run. */
  random: () => number;
  now: Date;
  /** --format. */
  format: 'text' | 'json';
  /** This device's own, kept across ticks. */
  state: Record<string, unknown>;
}

export interface ScenarioMessage {
  /** Default: the context's topic. */
  topic?: string;
  /** A string or bytes as they are; anything else is sent as JSON. */
  payload: unknown;
  /** Default: -q. */
  qos?: QoS;
  /** Default: -r. */
  retain?: boolean;
}

/** Nothing (undefined, null, []) means this device sends nothing this tick. */
export type Scenario = (
  ctx: ScenarioContext,
) =>
  | ScenarioMessage
  | ScenarioMessage[]
  | undefined
  | null
  | Promise<ScenarioMessage | ScenarioMessage[] | undefined | null>;

export function payloadBytes(payload: unknown): Buffer | string {
  if (typeof payload === 'string' || Buffer.isBuffer(payload)) return payload;
  if (payload instanceof Uint8Array) return Buffer.from(payload);
  return JSON.stringify(payload ?? null);
}

/** A name with a slash or a script extension is a file; anything else names a built-in. */
export function isScenarioFile(name: string): boolean {
  return name.includes('/') || name.includes('\\') || /\.[cm]?js$/.test(name);
}
