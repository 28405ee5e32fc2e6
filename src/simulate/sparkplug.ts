/**
 * `mqx pub --simulate sparkplug --group G --edge E [--devices N]`: the edge node of
 * sparkplug-edge.ts as a scenario, with nothing a scenario file could not use. Its will is the
 * NDEATH; it subscribes to its NCMD before the NBIRTH (a host's rebirth request must not be
 * missed), answers a rebirth with new BIRTHs, sends a round of readings every tick and, at a clean
 * end, the NDEATH the broker would otherwise not send. Messages are QoS 0, the will QoS 1, as the
 * specification asks. Loaded only for this simulation (its own bundle: it brings protobufjs).
 */
import { loadSparkplug } from '../payload/sparkplug/proto.js';
import type { ScenarioContext, ScenarioMessage, ScenarioObject } from './scenario.js';
import { EdgeNode, type Outgoing } from './sparkplug-edge.js';

/** Sparkplug ids are topic levels: no separator, no wildcard (specification 4.1.1). */
function idProblem(value: string | undefined, flag: string): string | undefined {
  if (value === undefined || value === '') return `--simulate sparkplug needs --${flag} ID`;
  if (/[/+#]/.test(value)) return `--${flag} must not contain /, + or #`;
  return undefined;
}

/** Made by the first hook, the will, before connecting: one per run, as a gateway has one context. */
async function edgeNode(ctx: ScenarioContext): Promise<EdgeNode> {
  if (!(ctx.state.node instanceof EdgeNode)) {
    await loadSparkplug();
    ctx.state.node = new EdgeNode({
      group: ctx.options.group ?? '',
      edge: ctx.options.edge ?? '',
      devices: ctx.devices,
      random: ctx.random,
      bdSeq: 0,
    });
  }
  return ctx.state.node as EdgeNode;
}

const qos0 = (messages: Outgoing[]): ScenarioMessage[] =>
  messages.map((m) => ({ ...m, qos: 0, retain: false }));

const sparkplug: ScenarioObject = {
  flags: ['group', 'edge'],
  gateway: true,
  check(options) {
    const problem = idProblem(options.group, 'group') ?? idProblem(options.edge, 'edge');
    if (problem) return problem;
    if (options.topics.length > 0)
      return '--simulate sparkplug publishes to spBv1.0/GROUP/...: give no topic';
    if (options.encode !== undefined) return '--simulate sparkplug sends Sparkplug B: drop --encode';
    return undefined;
  },
  async will(ctx) {
    return { ...(await edgeNode(ctx)).death(ctx.now), qos: 1, retain: false };
  },
  async subscribe(ctx) {
    return [{ filter: (await edgeNode(ctx)).commandTopic, qos: 1 }];
  },
  async start(ctx) {
    return qos0((await edgeNode(ctx)).birth(ctx.now));
  },
  async next(ctx) {
    return qos0((await edgeNode(ctx)).data(ctx.now));
  },
  /** Only the NCMD comes here: the one filter subscribed. */
  async onMessage(ctx, message) {
    const node = await edgeNode(ctx);
    return node.wantsRebirth(message.payload) ? qos0(node.birth(ctx.now)) : undefined;
  },
  async end(ctx) {
    return qos0([(await edgeNode(ctx)).death(ctx.now)]);
  },
};

export default sparkplug;
