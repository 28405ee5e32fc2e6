/**
 * The shape of a `--simulate` scenario, built in or a user's file. In its simplest form it is a
 * function that, given a context, returns the next messages of one simulated device:
 *
 *   export default function next(ctx) {
 *     return { topic: `plant/${ctx.device}/state`, payload: { on: ctx.random() < 0.5 }, qos: 1 };
 *   }
 *
 * A device that also listens, says goodbye or has a will is an object with `next` and the hooks
 * of ScenarioObject; the built-ins (builtin.ts, sparkplug.ts) are written with nothing more.
 *
 * The context's `random` is seeded by --seed, so a run can be reproduced; `state` belongs to one
 * device (and command-line topic) and survives from tick to tick, for values that walk.
 */
import type { QoS } from '../protocol/types.js';

/** The flags a scenario may take besides the common ones; see ScenarioObject.flags. */
export type ScenarioFlag = 'group' | 'edge';

export const SCENARIO_FLAGS: readonly ScenarioFlag[] = ['group', 'edge'];

/** The command line as a scenario sees it: what check() judges and ctx.options hands on. */
export interface ScenarioOptions {
  /** The topics given (arguments, -t), %i not yet replaced. */
  readonly topics: readonly string[];
  /** --encode: the format every payload is encoded into after the scenario made it. */
  readonly encode: string | undefined;
  /** --group and --edge, for a scenario whose `flags` names them. */
  readonly group: string | undefined;
  readonly edge: string | undefined;
}

export interface ScenarioContext {
  /** 1 to `devices` (--devices); always 1 for a gateway. */
  device: number;
  /** --devices; for a gateway, the devices behind it (0 or more). */
  devices: number;
  /** 0 for the first reading, then 1, 2, ... (one tick per --interval). */
  tick: number;
  /** The command-line topic for this device, %i replaced; undefined when none was given. */
  topic: string | undefined;
  /** Uniform in [0, 1), seeded by --seed: the same seed gives the same run. */
  random: () => number;
  /** When this call was made: the tick's time, or the incoming message's arrival. */
  now: Date;
  /** --format. */
  format: 'text' | 'json';
  /** This device's own, kept across ticks and hooks. */
  state: Record<string, unknown>;
  options: ScenarioOptions;
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

/** Nothing (undefined, null, []) means this device sends nothing now. */
export type ScenarioMessages = ScenarioMessage | readonly ScenarioMessage[] | undefined | null;

/** Every hook may be asynchronous, for a scenario that loads something before its first message. */
type Eventually<T> = T | Promise<T>;

/** The plain-function form, and the `next` of the object form. */
export type Scenario = (ctx: ScenarioContext) => Eventually<ScenarioMessages>;

/** A message the broker delivered on a filter the device subscribed to. */
export interface IncomingMessage {
  topic: string;
  payload: Buffer;
  qos: QoS;
  retain: boolean;
}

/** A filter alone is subscribed at QoS 1: a command sent to a device should not be lost on the way. */
export type ScenarioSubscription = string | { filter: string; qos?: QoS };

/**
 * The object form. The run calls, per device: will (before connecting), subscribe, start, then
 * next every tick, onMessage whenever a message matches one of its filters, and end before a clean
 * disconnect (--count reached, or Ctrl-C). Calls never overlap: a reply is made between ticks,
 * never in the middle of one, so the messages of one call leave together and in order.
 */
export interface ScenarioObject {
  next: Scenario;
  /**
   * Refuses a command line before anything connects: the string returned is the usage error
   * (exit 2), so a scenario that needs a flag or no topic says so instead of failing mid-run.
   */
  check?(options: ScenarioOptions): string | undefined;
  /** The scenario flags it reads; any other one given is a usage error rather than ignored. */
  flags?: readonly ScenarioFlag[];
  /**
   * One client fronting --devices devices (0 or more), as a Sparkplug edge node or a gateway is:
   * one context (per topic) whose `devices` is that number, instead of a context per device.
   */
  gateway?: boolean;
  /**
   * The device's will. MQTT has one will per connection, so a scenario with a will gets one
   * connection per device (with -i ID, the clients are ID-1, ID-2, ...); one without shares one.
   */
  will?(ctx: ScenarioContext): Eventually<ScenarioMessage | undefined>;
  /** Filters subscribed before the first message, so that nothing sent to the device is missed. */
  subscribe?(ctx: ScenarioContext): Eventually<readonly ScenarioSubscription[]>;
  /** The first messages, before tick 0: announcements, retained states. */
  start?(ctx: ScenarioContext): Eventually<ScenarioMessages>;
  /** The replies to a message on one of the device's filters. */
  onMessage?(ctx: ScenarioContext, message: IncomingMessage): Eventually<ScenarioMessages>;
  /** The last messages, sent before disconnecting: a clean end publishes no will, so say it here. */
  end?(ctx: ScenarioContext): Eventually<ScenarioMessages>;
}

export type ScenarioModule = Scenario | ScenarioObject;

export function payloadBytes(payload: unknown): Buffer | string {
  if (typeof payload === 'string' || Buffer.isBuffer(payload)) return payload;
  if (payload instanceof Uint8Array) return Buffer.from(payload);
  return JSON.stringify(payload ?? null);
}

/** A name with a slash or a script extension is a file; anything else names a built-in. */
export function isScenarioFile(name: string): boolean {
  return name.includes('/') || name.includes('\\') || /\.[cm]?js$/.test(name);
}
