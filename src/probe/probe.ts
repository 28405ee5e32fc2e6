/**
 * `mqx test`: what a broker supports, each answer with how it was found. An MQTT 5 CONNACK
 * advertises most of it; the rest (and whatever a 3.1.1-only broker never says) is found by
 * trying, on topics under a random prefix, within a time budget. The probe leaves nothing behind:
 * every retained message it sets is cleared and every session it keeps is ended with a clean one.
 */
import { ConnectionError, RefusedError } from '../errors.js';
import type { ConnackPacket, ProtocolVersion, QoS } from '../protocol/types.js';
import { ProbeContext, type ProbeOptions, type ProbeReport } from './context.js';
import { probeFeatures } from './features.js';
import { probeLimits } from './limits.js';

export type { LimitReport, ProbeOptions, ProbeReport } from './context.js';

const VERSIONS: Array<[keyof ProbeReport['protocols'], ProtocolVersion]> = [
  ['5.0', 5],
  ['3.1.1', 4],
  ['3.1', 3],
];

export async function probeBroker(options: ProbeOptions): Promise<ProbeReport> {
  const p = new ProbeContext(options);
  const { report, found } = p;
  const { host, port } = options.client.broker;

  // Which versions connect. A refusal that is not about the version (credentials) ends the probe.
  let connack5: ConnackPacket | undefined;
  let firstFailure: unknown;
  for (const [name, version] of VERSIONS) {
    try {
      const c = await p.open(version);
      if (version === 5) connack5 = c.client.connack;
      await c.close();
      report.protocols[name] = true;
    } catch (err) {
      firstFailure ??= err;
      const code = err instanceof RefusedError ? err.reasonCode : undefined;
      // 0x01 (3.1.x) and 0x84 (5.0): unacceptable protocol version.
      if (code !== undefined && code !== 0x01 && code !== 0x84) throw err;
    }
  }
  found.protocols = 'a CONNECT with each protocol version';
  const newest: ProtocolVersion | undefined = report.protocols['5.0']
    ? 5
    : report.protocols['3.1.1']
      ? 4
      : report.protocols['3.1']
        ? 3
        : undefined;
  if (newest === undefined) {
    const why = firstFailure instanceof Error ? `: ${firstFailure.message}` : '';
    throw new ConnectionError(`could not connect to ${host}:${port} with MQTT 3.1, 3.1.1 or 5.0${why}`);
  }
  p.main = newest;
  p.plain = report.protocols['3.1.1'] ? 4 : newest;

  const props = connack5?.properties ?? {};
  if (connack5) {
    report.maxQos = (props.maximumQoS ?? 2) as QoS;
    report.retain = props.retainAvailable !== 0;
    report.wildcards = props.wildcardSubscriptionAvailable !== 0;
    report.sharedSubscriptions = props.sharedSubscriptionAvailable !== 0;
    report.subscriptionIdentifiers = props.subscriptionIdentifierAvailable !== 0;
    report.topicAliasMaximum = props.topicAliasMaximum ?? 0;
    report.receiveMaximum = props.receiveMaximum ?? 65535;
    report.maximumPacketSize = props.maximumPacketSize ?? null;
    report.serverKeepAlive = props.serverKeepAlive ?? null;
    const said = (key: string, value: unknown, absent: string) =>
      (found[key] =
        value === undefined ? `CONNACK (5.0): not sent, ${absent}` : `CONNACK (5.0): ${String(value)}`);
    said('maxQos', props.maximumQoS, 'so 2');
    said('retain', props.retainAvailable, 'so available');
    said('wildcards', props.wildcardSubscriptionAvailable, 'so available');
    said('sharedSubscriptions', props.sharedSubscriptionAvailable, 'so available');
    said('subscriptionIdentifiers', props.subscriptionIdentifierAvailable, 'so available');
    said('topicAliasMaximum', props.topicAliasMaximum, 'so 0');
    said('receiveMaximum', props.receiveMaximum, 'so 65535');
    said('maximumPacketSize', props.maximumPacketSize, 'so no limit advertised');
    said('serverKeepAlive', props.serverKeepAlive, 'so ours (30 s) stands');
  } else {
    const none = 'not advertised before MQTT 5.0';
    for (const key of ['topicAliasMaximum', 'receiveMaximum', 'serverKeepAlive']) found[key] = none;
  }

  try {
    await probeFeatures(p);
    await probeLimits(p);
  } finally {
    await p.runCleanups();
  }
  report.durationMs = Date.now() - p.started;
  return report;
}
