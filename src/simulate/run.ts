/**
 * `mqx pub --simulate NAME|FILE`: loads the scenario and checks the flags before connecting (a
 * bad flag or file is exit 2), then runs it (scenario.ts says in which order it is called): one
 * connection for every device, or one per device when the scenario has a will, over links the
 * command opens (client-link.ts), so that this file knows scenarios and not sockets.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { topicMatches } from '../client/match.js';
import { RejectedError, UsageError } from '../errors.js';
import { reasonName } from '../protocol/reason-codes.js';
import type { QoS, SubscriptionRequest } from '../protocol/types.js';
import { parseSharedFilter, validateTopicFilter, validateTopicName } from '../topics/validate.js';
import { BUILT_IN } from './builtin.js';
import {
  type IncomingMessage,
  isScenarioFile,
  payloadBytes,
  SCENARIO_FLAGS,
  type ScenarioContext,
  type ScenarioFlag,
  type ScenarioMessage,
  type ScenarioMessages,
  type ScenarioObject,
  type ScenarioOptions,
} from './scenario.js';
import { seededRandom } from './sensors.js';

export interface SimulationFlags {
  simulate: string;
  devices?: number;
  count?: number;
  seed?: number;
  interval?: number;
  format?: string;
  encode?: string;
  group?: string;
  edge?: string;
  /** A will from the command line (--will-topic), which a scenario's own would silently replace. */
  will?: boolean;
}

export interface Simulation {
  scenario: ScenarioObject;
  contexts: ScenarioContext[];
  count: number | undefined;
  intervalMs: number;
}

/** A scenario's message, checked and made bytes; no QoS or retain flag means the command's own. */
export interface SimulatedMessage {
  topic: string;
  payload: Buffer | string;
  qos?: QoS;
  retain?: boolean;
}

/** One connection of a run: a Client in `mqx pub`, a recorder in a test. */
export interface SimulationLink {
  send(message: SimulatedMessage): Promise<void>;
  subscribe(subscriptions: SubscriptionRequest[]): Promise<number[]>;
  /**
   * Disconnects once what was sent is acknowledged, throwing the first failure; with graceMs
   * (Ctrl-C, the process about to exit) waits no longer than that and throws nothing.
   */
  end(graceMs?: number): Promise<void>;
  /** Closes at once: the broker publishes the will. */
  destroy(): void;
}

export interface LinkRequest {
  will: SimulatedMessage | undefined;
  /** The connection's number (1, 2, ...) when the run has several, for distinct client ids. */
  n: number | undefined;
  /** Given before connecting: a kept session delivers right after CONNACK. */
  onMessage(message: IncomingMessage): void;
}

export type OpenLink = (request: LinkRequest) => Promise<SimulationLink>;

const HOOKS = ['check', 'will', 'subscribe', 'start', 'onMessage', 'end'] as const;

/** The plain-function form is an object with only `next`; anything else is checked for its shape. */
function scenarioObject(exported: unknown, label: string): ScenarioObject {
  if (typeof exported === 'function') return { next: exported as ScenarioObject['next'] };
  const o = (typeof exported === 'object' ? exported : undefined) as Record<string, unknown> | undefined;
  if (typeof o?.next !== 'function')
    throw new UsageError(
      `${label}: export a function (export default function next(ctx) {...}) or an object with one as next`,
    );
  for (const hook of HOOKS) {
    if (o[hook] !== undefined && typeof o[hook] !== 'function')
      throw new UsageError(`${label}: ${hook} must be a function`);
  }
  const flags = o.flags;
  if (
    flags !== undefined &&
    !(Array.isArray(flags) && flags.every((f) => SCENARIO_FLAGS.includes(f as ScenarioFlag)))
  )
    throw new UsageError(`${label}: flags must list some of ${SCENARIO_FLAGS.join(', ')}`);
  return o as unknown as ScenarioObject;
}

function loadScenarioFile(file: string): ScenarioObject {
  const label = `--simulate ${file}`;
  let module: unknown;
  try {
    // require() loads ES modules too (Node >= 20.19), from the ES build and the CommonJS bundle alike.
    module = createRequire(import.meta.url)(path.resolve(file));
  } catch (err) {
    throw new UsageError(`${label}: ${(err as Error).message.split('\n')[0]}`);
  }
  // The default export if there is one, else the module itself: named exports, or module.exports.
  return scenarioObject((module as { default?: unknown }).default ?? module, label);
}

async function loadBuiltIn(name: string): Promise<ScenarioObject> {
  if (!Object.hasOwn(BUILT_IN, name)) {
    const names = Object.keys(BUILT_IN);
    throw new UsageError(
      `--simulate must be ${names.slice(0, -1).join(', ')}, ${names.at(-1)} or a scenario file (./device.js), got "${name}"`,
    );
  }
  return scenarioObject(await BUILT_IN[name]!(), `--simulate ${name}`);
}

function positiveInteger(value: number, min: number): boolean {
  return Number.isInteger(value) && value >= min;
}

export async function prepareSimulation(topics: string[], flags: SimulationFlags): Promise<Simulation> {
  const name = flags.simulate || 'auto';
  const scenario = isScenarioFile(name) ? loadScenarioFile(name) : await loadBuiltIn(name);
  for (const flag of SCENARIO_FLAGS) {
    if (flags[flag] !== undefined && !scenario.flags?.includes(flag))
      throw new UsageError(`--${flag} does not apply to --simulate ${name}`);
  }
  const options: ScenarioOptions = { topics, encode: flags.encode, group: flags.group, edge: flags.edge };
  const problem = scenario.check?.(options);
  if (problem) throw new UsageError(problem);
  if (scenario.will && flags.will) throw new UsageError(`--simulate ${name} sets its own will`);
  const gateway = scenario.gateway === true;
  const devices = flags.devices ?? (gateway ? 0 : 1);
  if (gateway && !positiveInteger(devices, 0)) throw new UsageError('--devices must be 0 or more');
  if (!gateway && !positiveInteger(devices, 1)) throw new UsageError('--devices must be a positive integer');
  if (!gateway && devices > 1 && topics.length > 0 && !topics.every((t) => t.includes('%i'))) {
    throw new UsageError('--devices needs %i in every topic (e.g. sensors/%i/temperature)');
  }
  const count = flags.count;
  if (count !== undefined && !positiveInteger(count, 1))
    throw new UsageError('--count must be a positive integer');
  const random = seededRandom(flags.seed ?? Math.floor(Math.random() * 2 ** 32));
  const format = flags.format === 'json' ? 'json' : 'text';
  const templates = topics.length > 0 ? topics : [undefined];
  const contexts = templates.flatMap((template) =>
    Array.from(
      { length: gateway ? 1 : devices },
      (_, i): ScenarioContext => ({
        device: i + 1,
        devices,
        tick: 0,
        topic: template?.replace(/%i/g, String(i + 1)),
        random,
        now: new Date(),
        format,
        state: {},
        options,
      }),
    ),
  );
  return { scenario, contexts, count, intervalMs: (flags.interval ?? 1) * 1000 };
}

function checkQos(qos: unknown, what: string): void {
  if (qos !== undefined && qos !== 0 && qos !== 1 && qos !== 2)
    throw new UsageError(`--simulate: ${what}'s qos must be 0, 1 or 2, got ${String(qos)}`);
}

function simulated(ctx: ScenarioContext, m: ScenarioMessage): SimulatedMessage {
  const topic = m.topic ?? ctx.topic;
  if (topic === undefined) throw new UsageError('--simulate: a message has no topic and none was given (-t)');
  const problem = validateTopicName(topic);
  if (problem) throw new UsageError(`--simulate: ${problem}`);
  checkQos(m.qos, 'a message');
  return {
    topic,
    payload: payloadBytes(m.payload),
    ...(m.qos !== undefined ? { qos: m.qos } : {}),
    ...(m.retain !== undefined ? { retain: Boolean(m.retain) } : {}),
  };
}

function listOf(out: ScenarioMessages): readonly ScenarioMessage[] {
  if (out === undefined || out === null) return [];
  return Array.isArray(out) ? out : [out as ScenarioMessage];
}

interface Device {
  ctx: ScenarioContext;
  link: SimulationLink;
  /** What its subscribe() gave, $share/GROUP/ stripped: the topics its onMessage hears. */
  filters: string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One run of a prepared simulation. */
export class SimulationRun {
  /** running → ending (end() sent or being sent) → over (failed: no further calls). */
  private phase: 'running' | 'ending' | 'over' = 'running';
  private readonly devices: Device[] = [];
  private readonly links: SimulationLink[] = [];
  private chain: Promise<void> = Promise.resolve();
  private fail: (err: unknown) => void = () => undefined;
  /** Rejects with the first failure of any call, a reply's included, which no tick awaits. */
  private readonly failed = new Promise<never>((_, reject) => {
    this.fail = (err) => {
      this.phase = 'over';
      reject(err);
    };
  });

  constructor(
    private readonly sim: Simulation,
    private readonly open: OpenLink,
  ) {
    this.failed.catch(() => undefined);
  }

  /** Connects, runs until --count is reached, ends cleanly; rejects with the first failure. */
  run(): Promise<void> {
    return Promise.race([this.work(), this.failed]);
  }

  /** Ctrl-C: the devices' end() messages, then a short grace to disconnect. */
  interrupt(): Promise<void> {
    return this.finish(200);
  }

  /** After a failure: closes every connection without a goodbye, so the broker sends the wills. */
  destroy(): void {
    this.phase = 'over';
    for (const link of this.links) link.destroy();
  }

  private async work(): Promise<void> {
    await this.connect();
    await this.serial(() => this.setUp());
    for (let tick = 0; this.sim.count === undefined || tick < this.sim.count; tick++) {
      if (tick > 0) await sleep(this.sim.intervalMs);
      if (this.phase !== 'running') return;
      await this.serial(() =>
        this.each(this.devices, (ctx) => {
          ctx.tick = tick;
          return this.sim.scenario.next(ctx);
        }),
      );
    }
    await this.finish(undefined);
  }

  private async connect(): Promise<void> {
    const { scenario, contexts } = this.sim;
    const groups = scenario.will ? contexts.map((ctx) => [ctx]) : [contexts];
    for (const [i, group] of groups.entries()) {
      const first = group[0]!;
      first.now = new Date();
      const will = await scenario.will?.(first);
      const members: Device[] = [];
      const link = await this.open({
        will: will ? simulated(first, will) : undefined,
        n: groups.length > 1 ? i + 1 : undefined,
        onMessage: (message) => this.dispatch(members, message),
      });
      this.links.push(link);
      for (const ctx of group) members.push({ ctx, link, filters: [] });
      this.devices.push(...members);
    }
  }

  /** Subscribes every connection, then start(): one call, so no message is handled before it. */
  private async setUp(): Promise<void> {
    const { scenario } = this.sim;
    for (const link of this.links) {
      const requests = new Map<string, QoS>();
      for (const device of this.devices.filter((d) => d.link === link)) {
        device.ctx.now = new Date();
        for (const sub of (await scenario.subscribe?.(device.ctx)) ?? []) {
          const { filter, qos = 1 } = typeof sub === 'string' ? { filter: sub } : sub;
          const problem = validateTopicFilter(filter);
          if (problem) throw new UsageError(`--simulate: ${problem}`);
          checkQos(qos, 'a subscription');
          device.filters.push(parseSharedFilter(filter)?.filter ?? filter);
          requests.set(filter, Math.max(requests.get(filter) ?? 0, qos) as QoS);
        }
      }
      if (requests.size === 0) continue;
      const list = [...requests].map(([topicFilter, qos]) => ({ topicFilter, qos }));
      const codes = await link.subscribe(list);
      for (const [i, code] of codes.entries()) {
        if (code >= 0x80)
          throw new RejectedError(
            `subscription to ${list[i]!.topicFilter} refused: ${reasonName(code)}`,
            code,
          );
      }
    }
    await this.each(this.devices, (ctx) => scenario.start?.(ctx));
  }

  private dispatch(members: Device[], message: IncomingMessage): void {
    const { scenario } = this.sim;
    if (!scenario.onMessage) return;
    this.serial(() =>
      this.each(
        members.filter((d) => d.filters.some((f) => topicMatches(f, message.topic))),
        (ctx) => scenario.onMessage?.(ctx, message),
      ),
    ).catch(() => undefined); // reported through `failed`
  }

  /** end() once, clean or interrupted, then every connection's own end. */
  private async finish(graceMs: number | undefined): Promise<void> {
    if (this.phase === 'running') {
      this.phase = 'ending';
      await this.serial(() => this.each(this.devices, (ctx) => this.sim.scenario.end?.(ctx)), true);
    }
    await Promise.all(this.links.map((link) => link.end(graceMs)));
  }

  /**
   * Runs one call after the one before, so that calls never overlap; `ending` for end(), which
   * must run once the others stopped. A failure ends the run.
   */
  private serial(call: () => Promise<void>, ending = false): Promise<void> {
    const step = this.chain.then(() =>
      this.phase === 'running' || (ending && this.phase === 'ending') ? call() : undefined,
    );
    this.chain = step.catch(this.fail);
    return step;
  }

  /** Calls the hook for each device in turn and sends what it returns on that device's link. */
  private async each(
    devices: Device[],
    hook: (ctx: ScenarioContext) => ScenarioMessages | Promise<ScenarioMessages>,
  ): Promise<void> {
    const now = new Date();
    for (const device of devices) {
      device.ctx.now = now;
      for (const m of listOf(await hook(device.ctx))) await device.link.send(simulated(device.ctx, m));
    }
  }
}
