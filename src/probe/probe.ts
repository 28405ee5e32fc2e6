/**
 * `mqx test`: what a broker supports, each answer with how it was found. An MQTT 5 CONNACK
 * advertises most of it; the rest (and whatever a 3.1.1-only broker never says) is found by
 * trying, on topics under a random prefix, within a time budget. The probe leaves nothing behind:
 * every retained message it sets is cleared and every session it keeps is ended with a clean one.
 */
import { randomBytes } from 'node:crypto';
import type { ClientOptions } from '../client/options.js';
import { ConnectionError, RefusedError } from '../errors.js';
import { encodePublishHeader } from '../protocol/encoder.js';
import type { ConnackPacket, ProtocolVersion, QoS } from '../protocol/types.js';
import { ProbeConnection } from './connection.js';
import { type Limit, largestAccepted } from './search.js';

export interface ProbeReport {
  broker: string;
  protocols: { '3.1': boolean; '3.1.1': boolean; '5.0': boolean };
  maxQos: QoS | null;
  retain: boolean | null;
  wildcards: boolean | null;
  sharedSubscriptions: boolean | null;
  subscriptionIdentifiers: boolean | null;
  topicAliasMaximum: number | null;
  receiveMaximum: number | null;
  /** Advertised in CONNACK, else the largest PUBLISH found by trying; null: neither. */
  maximumPacketSize: number | null;
  /** A session kept across a reconnect. */
  sessionExpiry: boolean | null;
  /** Messages for an offline session delivered on its return. */
  offlineQueue: boolean | null;
  will: boolean | null;
  willDelay: boolean | null;
  sys: boolean | null;
  serverKeepAlive: number | null;
  limits: { topicLength: LimitReport | null; topicDepth: LimitReport | null; payload: LimitReport | null };
  /** How each answer was found, by key. */
  found: Record<string, string>;
  durationMs: number;
}

export interface LimitReport {
  value: number | null;
  /** false: a lower bound (the search stopped at its cap or its trial budget). */
  exact: boolean;
}

export interface ProbeOptions {
  /** broker, credentials, TLS: what the user gave; version, id and session are the probe's. */
  client: ClientOptions;
  budgetMs: number;
  /** Largest payload tried, bytes. */
  payloadCap: number;
  /** Progress lines for people (stderr). */
  log?: (line: string) => void;
}

const VERSIONS: Array<[keyof ProbeReport['protocols'], ProtocolVersion]> = [
  ['5.0', 5],
  ['3.1.1', 4],
  ['3.1', 3],
];

/** A message to ourselves arrives within this, or the broker did not deliver it. */
const ROUND_TRIP_MS = 1_500;

class OutOfTime extends Error {}

export async function probeBroker(options: ProbeOptions): Promise<ProbeReport> {
  const started = Date.now();
  const deadline = started + options.budgetMs;
  const prefix = `mqx-probe/${randomBytes(6).toString('hex')}`;
  const idBase = `mqxp-${randomBytes(4).toString('hex')}`;
  let ids = 0;
  const { host, port } = options.client.broker;
  const found: Record<string, string> = {};
  const report: ProbeReport = {
    broker: `${host}:${port}`,
    protocols: { '3.1': false, '3.1.1': false, '5.0': false },
    maxQos: null,
    retain: null,
    wildcards: null,
    sharedSubscriptions: null,
    subscriptionIdentifiers: null,
    topicAliasMaximum: null,
    receiveMaximum: null,
    maximumPacketSize: null,
    sessionExpiry: null,
    offlineQueue: null,
    will: null,
    willDelay: null,
    sys: null,
    serverKeepAlive: null,
    limits: { topicLength: null, topicDepth: null, payload: null },
    found,
    durationMs: 0,
  };
  const left = () => deadline - Date.now();
  const bounded = (ms: number) => {
    if (left() <= 0) throw new OutOfTime();
    return Math.min(ms, left());
  };
  /** Every connection not yet closed, so that a step that overruns the budget can be cut short. */
  const live = new Set<ProbeConnection>();
  const connect = async (
    version: ProtocolVersion,
    extra: Partial<ClientOptions>,
    connectTimeoutMs: number,
  ) => {
    const c = await ProbeConnection.open({
      ...options.client,
      protocolVersion: version,
      clientId: `${idBase}-${++ids}`,
      clean: true,
      keepalive: 30,
      connectTimeoutMs,
      ...extra,
    });
    live.add(c);
    c.client.once('close', () => live.delete(c));
    return c;
  };
  const open = (version: ProtocolVersion, extra: Partial<ClientOptions> = {}) =>
    connect(version, extra, bounded(5_000));
  /** Cleaning up is not bounded by the budget: a little past it beats leaving state behind. */
  const cleanups: Array<() => Promise<void>> = [];
  const cleanup = (
    version: ProtocolVersion,
    extra: Partial<ClientOptions>,
    then?: (c: ProbeConnection) => Promise<unknown>,
  ) =>
    cleanups.push(async () => {
      const c = await connect(version, extra, 5_000);
      let timer: NodeJS.Timeout | undefined;
      const bound = new Promise((resolve) => (timer = setTimeout(resolve, 3_000)));
      await Promise.race([then?.(c).catch(() => undefined), bound]);
      clearTimeout(timer);
      await c.close();
    });

  // Which versions connect. A refusal that is not about the version (credentials) ends the probe.
  let connack5: ConnackPacket | undefined;
  let firstFailure: unknown;
  for (const [name, version] of VERSIONS) {
    try {
      const c = await open(version);
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
  const main: ProtocolVersion | undefined = report.protocols['5.0']
    ? 5
    : report.protocols['3.1.1']
      ? 4
      : report.protocols['3.1']
        ? 3
        : undefined;
  if (main === undefined) {
    const why = firstFailure instanceof Error ? `: ${firstFailure.message}` : '';
    throw new ConnectionError(`could not connect to ${host}:${port} with MQTT 3.1, 3.1.1 or 5.0${why}`);
  }
  // Trials of sizes go by 3.1.1 where possible: a 5.0 client keeps itself under the advertised maximum.
  const plain: ProtocolVersion = report.protocols['3.1.1'] ? 4 : main;

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

  const add = (key: string, text: string) => (found[key] = found[key] ? `${found[key]}; ${text}` : text);
  // A broker that never answers a SUBSCRIBE or a PUBLISH must not hold the probe past its budget.
  const step = async (name: string, run: () => Promise<void>) => {
    options.log?.(`probing ${name}`);
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        run(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => {
              for (const c of live) c.kill();
              reject(new OutOfTime());
            },
            Math.max(0, left()),
          );
        }),
      ]);
    } catch (err) {
      if (err instanceof OutOfTime) add(name, 'not tried: out of time');
      else add(name, `failed: ${(err as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
  };
  /** QoS 1 where the broker allows it: an acknowledged publish, and one an offline session queues. */
  const qos1 = (): QoS => (report.maxQos === 0 ? 0 : 1);

  await step('maxQos', async () => {
    const c = await open(main);
    try {
      const [granted] = await c.client.subscribe([{ topicFilter: `${prefix}/qos`, qos: 2 }]);
      if (granted !== undefined && granted < 0x80) {
        add('maxQos', `SUBACK granted QoS ${granted} for QoS 2`);
        if (report.maxQos === null) report.maxQos = granted as QoS;
      }
    } finally {
      await c.close();
    }
  });

  await step('retain', async () => {
    if (report.retain === false) return;
    const topic = `${prefix}/retain`;
    const pub = await open(plain);
    // A broker without retained messages may drop the connection for this: that is the answer below.
    await pub.client.publish(topic, 'probe', { qos: qos1(), retain: true }).catch(() => undefined);
    await pub.close();
    cleanup(plain, {}, (c) => c.client.publish(topic, '', { qos: qos1(), retain: true }));
    const sub = await open(main);
    try {
      await sub.client.subscribe([{ topicFilter: topic, qos: 0 }]);
      const got = await sub.waitFor((p) => p.topic === topic && p.retain, bounded(ROUND_TRIP_MS));
      report.retain = got !== undefined;
      add(
        'retain',
        got
          ? 'a retained message reached a later subscriber'
          : 'a retained message did not reach a later subscriber',
      );
    } finally {
      await sub.close();
    }
  });

  await step('wildcards', async () => {
    if (report.wildcards === false) return;
    const c = await open(main);
    try {
      const codes = await c.client.subscribe([
        { topicFilter: `${prefix}/w/+/x`, qos: 0 },
        { topicFilter: `${prefix}/w/#`, qos: 0 },
      ]);
      if (codes.some((code) => code >= 0x80)) {
        report.wildcards = false;
        add('wildcards', 'SUBACK refused + and #');
        return;
      }
      await c.client.publish(`${prefix}/w/a/x`, 'w', { qos: 0 });
      await c.waitFor(() => c.messages.length >= 2, bounded(ROUND_TRIP_MS));
      report.wildcards = c.messages.filter((m) => m.topic === `${prefix}/w/a/x`).length >= 1;
      add(
        'wildcards',
        report.wildcards
          ? 'a message reached + and # subscriptions'
          : 'nothing reached + and # subscriptions',
      );
    } finally {
      await c.close();
    }
  });

  await step('sharedSubscriptions', async () => {
    if (report.sharedSubscriptions === false) return;
    const c = await open(main);
    try {
      const [code] = await c.client.subscribe([{ topicFilter: `$share/mqxprobe/${prefix}/s`, qos: 0 }]);
      if (code === undefined || code >= 0x80) {
        report.sharedSubscriptions = false;
        add('sharedSubscriptions', `SUBACK refused $share/... (0x${(code ?? 0x80).toString(16)})`);
        return;
      }
      await c.client.publish(`${prefix}/s`, 's', { qos: 0 });
      const got = await c.waitFor((p) => p.topic === `${prefix}/s`, bounded(ROUND_TRIP_MS));
      report.sharedSubscriptions = got !== undefined;
      add(
        'sharedSubscriptions',
        got ? 'a message reached a $share subscription' : 'nothing reached a $share subscription',
      );
    } finally {
      await c.close();
    }
  });

  await step('subscriptionIdentifiers', async () => {
    if (main !== 5) {
      found.subscriptionIdentifiers = 'MQTT 5.0 only';
      return;
    }
    if (report.subscriptionIdentifiers === false) return;
    const c = await open(5);
    try {
      await c.client.subscribe([{ topicFilter: `${prefix}/id`, qos: 0 }], { subscriptionIdentifiers: [7] });
      await c.client.publish(`${prefix}/id`, 'i', { qos: 0 });
      const got = await c.waitFor((p) => p.topic === `${prefix}/id`, bounded(ROUND_TRIP_MS));
      report.subscriptionIdentifiers = got?.properties?.subscriptionIdentifiers?.includes(7) ?? false;
      add(
        'subscriptionIdentifiers',
        report.subscriptionIdentifiers
          ? 'a delivery carried identifier 7'
          : 'a delivery came without its identifier',
      );
    } finally {
      await c.close();
    }
  });

  await step('sys', async () => {
    const c = await open(main);
    try {
      await c.client.subscribe([{ topicFilter: '$SYS/#', qos: 0 }]);
      const got = await c.waitFor((p) => p.topic.startsWith('$SYS/'), bounded(2_500));
      report.sys = got !== undefined;
      found.sys = got ? `$SYS/# delivered ${got.topic}` : 'nothing on $SYS/# within 2.5 s';
    } finally {
      await c.close();
    }
  });

  await step('will', async () => {
    const topic = `${prefix}/will`;
    const watcher = await open(main);
    try {
      await watcher.client.subscribe([{ topicFilter: topic, qos: 0 }]);
      const dying = await open(main, {
        will: { topic, payload: Buffer.from('gone'), qos: 0, retain: false },
      });
      dying.kill();
      const got = await watcher.waitFor((p) => p.topic === topic, bounded(3_000));
      report.will = got !== undefined;
      found.will = got
        ? 'a will arrived when its client dropped the connection'
        : 'no will within 3 s of the connection dropping';
    } finally {
      await watcher.close();
    }
  });

  await step('willDelay', async () => {
    if (main !== 5) {
      found.willDelay = 'MQTT 5.0 only';
      return;
    }
    const topic = `${prefix}/will-delay`;
    const watcher = await open(5);
    const clientId = `${idBase}-wd`;
    try {
      await watcher.client.subscribe([{ topicFilter: topic, qos: 0 }]);
      const dying = await open(5, {
        clientId,
        sessionExpiry: 3,
        will: {
          topic,
          payload: Buffer.from('late'),
          qos: 0,
          retain: false,
          properties: { willDelayInterval: 1 },
        },
      });
      cleanup(5, { clientId, sessionExpiry: 0 });
      const dropped = Date.now();
      dying.kill();
      const got = await watcher.waitFor((p) => p.topic === topic, bounded(3_500));
      const after = Date.now() - dropped;
      report.willDelay = got !== undefined && after >= 800;
      found.willDelay = got
        ? `a will with a 1 s delay arrived after ${(after / 1000).toFixed(1)} s`
        : 'a will with a 1 s delay did not arrive within 3.5 s';
    } finally {
      await watcher.close();
    }
  });

  await step('sessionExpiry', async () => {
    const topic = `${prefix}/queue`;
    const clientId = `${idBase}-s`;
    const kept = main === 5 ? { clean: false, sessionExpiry: 30 } : { clean: false };
    const first = await open(main, { clientId, ...kept });
    cleanup(main, { clientId, sessionExpiry: 0 });
    const granted = first.client.connack?.properties?.sessionExpiryInterval;
    await first.client.subscribe([{ topicFilter: topic, qos: qos1() }]);
    await first.close();
    const pub = await open(main);
    await pub.client.publish(topic, 'queued', { qos: qos1() });
    await pub.close();
    const again = await open(main, { clientId, ...kept });
    try {
      report.sessionExpiry = again.client.connack?.sessionPresent ?? false;
      const got = await again.waitFor((p) => p.topic === topic, bounded(ROUND_TRIP_MS));
      report.offlineQueue = got !== undefined;
      found.sessionExpiry = `${report.sessionExpiry ? 'session present' : 'no session'} on reconnecting${
        main === 5
          ? ` with a 30 s expiry${granted !== undefined ? ` (CONNACK cut it to ${granted} s)` : ''}`
          : ' without clean session'
      }`;
      found.offlineQueue = got
        ? `a QoS ${qos1()} message sent while offline was delivered on reconnecting`
        : `a QoS ${qos1()} message sent while offline was not delivered`;
    } finally {
      await again.close();
    }
  });

  // Round trips through the broker: a PUBLISH to ourselves counts when it comes back.
  const roundTrip = async (topic: string, payload: Buffer, filter: string): Promise<boolean> => {
    let c: ProbeConnection | undefined;
    try {
      c = await open(plain);
      const [code] = await c.client.subscribe([{ topicFilter: filter, qos: qos1() }]);
      if (code === undefined || code >= 0x80) return false;
      await c.client.publish(topic, payload, { qos: qos1() });
      const got = await c.waitFor(
        (p) => p.topic === topic && p.payload.length === payload.length,
        bounded(ROUND_TRIP_MS),
      );
      return got !== undefined;
    } catch (err) {
      if (err instanceof OutOfTime) throw err;
      return false;
    } finally {
      await c?.close();
    }
  };
  const limitReport = (l: Limit): LimitReport => ({ value: l.value ?? null, exact: l.exact });
  const describeLimit = (l: Limit, unit: string) =>
    `${l.trials} trials: ${l.value === undefined ? 'none accepted' : `${l.exact ? '' : 'at least '}${l.value} ${unit}`}`;

  await step('payload', async () => {
    const topic = `${prefix}/p`;
    const l = await largestAccepted((n) => roundTrip(topic, Buffer.alloc(n, 0x61), topic), {
      floor: 0,
      start: 1024,
      cap: options.payloadCap,
      maxTrials: 24,
    });
    report.limits.payload = limitReport(l);
    found.payload = `round trips of growing payloads, ${describeLimit(l, 'bytes')}`;
    if (l.value !== undefined && l.exact) {
      const header = encodePublishHeader(
        {
          type: 'publish',
          topic,
          payload: Buffer.alloc(l.value),
          qos: qos1(),
          retain: false,
          dup: false,
          packetId: 1,
        },
        plain,
      ).header;
      const largest = header.length + l.value;
      if (report.maximumPacketSize === null) report.maximumPacketSize = largest;
      add('maximumPacketSize', `tried: the largest PUBLISH that went through is ${largest} bytes`);
    }
  });

  await step('topicLength', async () => {
    const base = `${prefix}/t/`;
    const l = await largestAccepted(
      (n) => roundTrip(base + 'a'.repeat(n - base.length), Buffer.from('t'), `${prefix}/t/#`),
      {
        floor: base.length + 1,
        start: 256,
        cap: 65535,
        maxTrials: 20,
      },
    );
    report.limits.topicLength = limitReport(l);
    found.topicLength = `round trips on longer topics, ${describeLimit(l, 'bytes')}`;
  });

  await step('topicDepth', async () => {
    const levels = (n: number) => `${prefix}/d${'/a'.repeat(n - 3)}`;
    const l = await largestAccepted((n) => roundTrip(levels(n), Buffer.from('d'), `${prefix}/d/#`), {
      floor: 4,
      start: 16,
      cap: 4096,
      maxTrials: 20,
    });
    report.limits.topicDepth = limitReport(l);
    found.topicDepth = `round trips on deeper topics, ${describeLimit(l, 'levels')}`;
  });

  for (const run of cleanups) await run().catch(() => undefined);
  report.durationMs = Date.now() - started;
  return report;
}
