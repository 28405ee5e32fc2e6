/**
 * One bench run: connect, subscribe, publish, wait for the deliveries to drain, check them and sum
 * up. `mqx bench` and `npm run bench` both run through here; what differs is only which roles are
 * present (conn: idle connections; pub: publishers; sub: subscribers; pubsub: both, with latency).
 */

import { topicMatches } from '../client/match.js';
import type { ClientOptions } from '../client/options.js';
import type { QoS } from '../protocol/types.js';
import { nowMs } from './clock.js';
import { type ConnectProgress, connectMany } from './connect.js';
import type { BenchConnection } from './connection.js';
import { LatencyHistogram, type LatencySummary } from './histogram.js';
import { PublishTemplate } from './packets.js';
import { Publisher } from './publisher.js';
import { Subscriber } from './subscriber.js';
import { expandTopic } from './template.js';

export type BenchMode = 'conn' | 'pub' | 'sub' | 'pubsub';

export interface LoadOptions {
  mode: BenchMode;
  connection: ClientOptions;
  /** Publishers (pub, pubsub), subscribers (sub) or idle connections (conn). */
  clients: number;
  /** pubsub only: subscribing connections. */
  subscribers: number;
  /** Client id of connection i is prefix + role letter (p, s, c) + i. */
  clientIdPrefix: string;
  connectIntervalMs: number;
  connectConcurrency: number;
  /** Publish topic template (%i, %c). */
  topic: string;
  /** Subscription filter template (%i = subscriber index, %c). */
  filter: string;
  qos: QoS;
  /** QoS requested by subscribers; the publish QoS when absent. */
  subscribeQos?: QoS;
  retain: boolean;
  payloadSize: number;
  /** Per publisher, msg/s; undefined = as fast as possible. */
  ratePerClient?: number;
  /** With a rate: pace publishers on every event-loop turn, not a 1 ms timer (see Publisher). */
  precisePacing?: boolean;
  /** At QoS 0, publishing ends when the broker has read every message (see Publisher). */
  confirmQos0?: boolean;
  /** pubsub: messages sent (or due) in the first this many ms are load but not timed. */
  warmupMs?: number;
  /** Per publisher (pub, pubsub) or per subscriber (sub): stop after this many messages. */
  limit: number;
  /** Stop publishing (or, for sub and conn, stop) after this long; Infinity = until limit or abort. */
  durationMs: number;
  inflight: number;
  batch: number;
  /** After publishing, how long to wait without a new delivery before counting the rest as lost. */
  drainTimeoutMs: number;
  connectTimeoutMs: number;
}

export interface LiveCounters {
  phase: 'connecting' | 'running' | 'draining' | 'done';
  connect: ConnectProgress;
  published: number;
  received: number;
  errors: number;
}

export interface BenchSummary {
  mode: BenchMode;
  broker: string;
  protocolVersion: number;
  qos: QoS;
  payloadSize: number;
  connections: { requested: number; connected: number; failed: number; seconds: number; perSecond: number };
  published: number;
  publishedPerSecond: number;
  received: number;
  receivedPerSecond: number;
  /** Publishing start to last delivery (pubsub), or the active phase of the mode. */
  seconds: number;
  errors: number;
  errorMessages: string[];
  lost: number;
  duplicates: number;
  reordered: number;
  latencyMs?: LatencySummary;
}

export const DEFAULT_LOAD_OPTIONS: Omit<LoadOptions, 'mode' | 'connection'> = {
  clients: 1,
  subscribers: 1,
  clientIdPrefix: `mqx-bench-${process.pid}-`,
  connectIntervalMs: 0,
  connectConcurrency: 64,
  topic: 'bench/%i',
  filter: 'bench/#',
  qos: 0,
  retain: false,
  payloadSize: 64,
  limit: Infinity,
  durationMs: Infinity,
  inflight: 1000,
  batch: 256,
  drainTimeoutMs: 5000,
  connectTimeoutMs: 30_000,
};

/** Sends PINGREQ on every open connection at half the keepalive, so long idle runs are not cut. */
function keepAlive(
  conns: () => Iterable<BenchConnection | undefined>,
  keepalive: number,
): NodeJS.Timeout | undefined {
  if (keepalive <= 0) return undefined;
  const timer = setInterval(
    () => {
      for (const c of conns()) c?.ping();
    },
    (keepalive * 1000) / 2,
  );
  timer.unref();
  return timer;
}

/** Resolves when `work` settles, `ms` pass or the run is aborted, whichever is first; leaves no timer behind. */
function until(
  work: Promise<unknown> | undefined,
  ms: number,
  stop: { signal: Promise<void> },
): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const racers: Array<Promise<unknown>> = [stop.signal];
  if (work !== undefined) racers.push(work);
  if (Number.isFinite(ms)) racers.push(new Promise<void>((r) => (timer = setTimeout(r, ms))));
  return Promise.race(racers).then(
    () => clearTimeout(timer),
    () => clearTimeout(timer),
  );
}

export class LoadRun {
  /** The first connection failure of the run, if any. */
  connectError: unknown;
  readonly live: LiveCounters = {
    phase: 'connecting',
    connect: { connected: 0, failed: 0 },
    published: 0,
    received: 0,
    errors: 0,
  };
  private aborted = false;
  private abortResolve: () => void = () => undefined;
  private readonly abortSignal = new Promise<void>((r) => (this.abortResolve = r));
  private publishers: Publisher[] = [];
  private subscribers: Subscriber[] = [];
  private connections: Array<BenchConnection | undefined> = [];

  constructor(private readonly o: LoadOptions) {}

  /** Ends the run early (SIGINT): the summary covers what happened until now. */
  abort(): void {
    this.aborted = true;
    this.abortResolve();
  }

  /** Refreshes the live counters; cheap enough to call once a second. */
  sample(): LiveCounters {
    let published = 0;
    for (const p of this.publishers) published += p.sent;
    let received = 0;
    for (const s of this.subscribers) received += s.received;
    let errors = 0;
    for (const c of [...this.publishers, ...this.subscribers]) if (c?.lostReason !== undefined) errors++;
    this.live.published = published;
    this.live.received = received;
    this.live.errors = errors;
    return this.live;
  }

  async run(): Promise<BenchSummary> {
    const o = this.o;
    const ping = keepAlive(() => this.connections, o.connection.keepalive ?? 60);
    try {
      return await this.phases();
    } finally {
      clearInterval(ping);
      for (const c of this.connections) c?.close();
      this.live.phase = 'done';
    }
  }

  private async phases(): Promise<BenchSummary> {
    const o = this.o;
    const stop = { signal: this.abortSignal };
    const wantsSubs = o.mode === 'sub' || o.mode === 'pubsub';
    const wantsPubs = o.mode === 'pub' || o.mode === 'pubsub';
    const subCount = o.mode === 'sub' ? o.clients : o.mode === 'pubsub' ? o.subscribers : 0;
    const pubCount = wantsPubs ? o.clients : 0;
    const errors: string[] = [];
    const histogram = o.mode === 'pubsub' ? new LatencyHistogram() : undefined;
    const plan = (count: number, role: string) => ({
      count,
      clientId: (i: number) => `${o.clientIdPrefix}${role}${i}`,
      intervalMs: o.connectIntervalMs,
      concurrency: o.connectConcurrency,
      timeoutMs: o.connectTimeoutMs,
    });

    // Subscribers first, so the first message published already has somewhere to go.
    const connectStart = nowMs();
    const subOutcome = await connectMany(
      o.connection,
      plan(subCount, 's'),
      this.live.connect,
      () => this.aborted,
    );
    this.connections.push(...subOutcome.connections);
    const subQos = o.subscribeQos ?? o.qos;
    let allSubsReached: () => void = () => undefined;
    const subsReached = new Promise<void>((r) => (allSubsReached = r));
    let reached = 0;
    await Promise.all(
      subOutcome.connections.map(async (conn, i) => {
        if (conn === undefined) return;
        const filter = expandTopic(o.filter, i, conn.clientId);
        const sub = new Subscriber(conn, filter, histogram, o.mode === 'sub' ? o.limit : Infinity, () => {
          if (++reached === subOutcome.connected) allSubsReached();
        });
        this.subscribers.push(sub);
        try {
          await conn.subscribe([{ topicFilter: filter, qos: subQos }], 1, o.connectTimeoutMs);
        } catch (err) {
          errors.push(`subscribe ${filter}: ${(err as Error).message}`);
        }
      }),
    );

    const role = o.mode === 'conn' ? 'c' : 'p';
    const pubOutcome = await connectMany(
      o.connection,
      plan(o.mode === 'conn' ? o.clients : pubCount, role),
      this.live.connect,
      () => this.aborted,
    );
    this.connections.push(...pubOutcome.connections);
    const connectSeconds = (nowMs() - connectStart) / 1000;
    const failures = [...subOutcome.failures, ...pubOutcome.failures];
    this.connectError = subOutcome.firstError ?? pubOutcome.firstError;
    const attempted = subCount + (o.mode === 'conn' ? o.clients : pubCount);
    const connected = subOutcome.connected + pubOutcome.connected;
    errors.push(...failures.map((f) => `connect: ${f}`));

    this.live.phase = 'running';
    const version = o.connection.protocolVersion ?? 4;
    const publisherTopics: string[] = [];
    pubOutcome.connections.forEach((conn, i) => {
      if (conn === undefined || !wantsPubs) return;
      const topic = expandTopic(o.topic, i, conn.clientId);
      publisherTopics[i] = topic;
      const template = new PublishTemplate(topic, o.payloadSize, o.qos, o.retain, version);
      this.publishers[i] = new Publisher(conn, template, {
        publisherId: i,
        qos: o.qos,
        limit: o.limit,
        ...(o.ratePerClient !== undefined ? { rate: o.ratePerClient } : {}),
        ...(o.precisePacing ? { precise: true } : {}),
        ...(o.confirmQos0 ? { confirmQos0: true } : {}),
        inflight: o.inflight,
        batch: o.batch,
      });
    });
    const publishers = this.publishers.filter((p) => p !== undefined);

    const runStart = nowMs();
    if (o.warmupMs !== undefined) for (const s of this.subscribers) s.recordFrom = runStart + o.warmupMs;
    if (o.mode === 'conn') {
      await until(undefined, o.durationMs, stop);
      const dropped = pubOutcome.connections.filter((c) => c?.closed).length;
      if (dropped > 0) errors.push(`${dropped} idle connections dropped by the broker`);
    } else if (o.mode === 'sub') {
      await until(subsReached, o.durationMs, stop);
    } else {
      for (const p of publishers) p.start();
      const allSent = Promise.all(publishers.map((p) => p.done));
      await until(allSent, o.durationMs, stop);
      for (const p of publishers) p.stop();
      this.live.phase = 'draining';
      await until(allSent, o.drainTimeoutMs, stop);
      for (const p of publishers) p.abandon();
      if (wantsSubs) await this.drainSubscribers(publisherTopics, o.drainTimeoutMs, stop);
    }
    const runEnd = nowMs();

    return this.summarise({
      connectSeconds,
      attempted,
      connected,
      errors,
      histogram,
      publisherTopics,
      runStart,
      runEnd,
    });
  }

  /** Waits until every subscriber has all it should get, or no delivery arrives for `timeoutMs`. */
  private async drainSubscribers(
    publisherTopics: string[],
    timeoutMs: number,
    stop: { signal: Promise<void> },
  ): Promise<void> {
    const expectedTotal = this.subscribers.reduce(
      (sum, s) => sum + this.expectedFor(s, publisherTopics).total,
      0,
    );
    let last = -1;
    let quietSince = nowMs();
    while (!this.aborted) {
      const received = this.sample().received;
      if (received >= expectedTotal) return;
      if (received !== last) {
        last = received;
        quietSince = nowMs();
      } else if (nowMs() - quietSince > timeoutMs) return;
      await until(undefined, 20, stop);
    }
  }

  private expectedFor(
    sub: Subscriber,
    publisherTopics: string[],
  ): { perPublisher: Map<number, number>; total: number } {
    const perPublisher = new Map<number, number>();
    let total = 0;
    this.publishers.forEach((p, i) => {
      const topic = publisherTopics[i];
      if (p === undefined || topic === undefined || !topicMatches(sub.filter, topic)) return;
      perPublisher.set(i, p.sent);
      total += p.sent;
    });
    return { perPublisher, total };
  }

  private summarise(r: {
    connectSeconds: number;
    attempted: number;
    connected: number;
    errors: string[];
    histogram: LatencyHistogram | undefined;
    publisherTopics: string[];
    runStart: number;
    runEnd: number;
  }): BenchSummary {
    const o = this.o;
    const publishers = this.publishers.filter((p) => p !== undefined);
    let errorCount = r.errors.length;
    const errors = [...r.errors];
    let published = 0;
    let firstSent = Infinity;
    let lastDone = 0;
    for (const p of publishers) {
      published += p.sent;
      if (p.sent > 0) firstSent = Math.min(firstSent, p.firstSentAt);
      lastDone = Math.max(lastDone, p.lastCompletedAt);
      if (p.failed > 0) {
        errorCount += p.failed;
        errors.push(`${p.failed} publishes refused by the broker`);
      }
      if (p.lostReason !== undefined) {
        errorCount++;
        errors.push(`publisher ${p.publisherId}: ${p.lostReason}`);
      }
      if (p.unacknowledged > 0) {
        errorCount += p.unacknowledged;
        errors.push(`${p.unacknowledged} publishes never acknowledged`);
      }
    }
    let received = 0;
    let lost = 0;
    let duplicates = 0;
    let reordered = 0;
    let firstAt = Infinity;
    let lastAt = 0;
    for (const s of this.subscribers) {
      received += s.received;
      if (s.received > 0) {
        firstAt = Math.min(firstAt, s.firstAt);
        lastAt = Math.max(lastAt, s.lastAt);
      }
      const expected = o.mode === 'pubsub' ? this.expectedFor(s, r.publisherTopics).perPublisher : undefined;
      const report = s.checker.report(expected);
      lost += report.lost;
      duplicates += report.duplicates;
      reordered += report.reordered;
      if (s.lostReason !== undefined) {
        errorCount++;
        errors.push(`subscriber ${s.conn.clientId}: ${s.lostReason}`);
      }
    }
    const pubStart = Number.isFinite(firstSent) ? firstSent : r.runStart;
    const publishSeconds = Math.max(1e-9, (lastDone > pubStart ? lastDone : r.runEnd) - pubStart) / 1000;
    // Deliveries per second run from the first publish (or, for sub, the first delivery) to the last delivery.
    const recvStart = o.mode === 'sub' ? firstAt : pubStart;
    const recvSeconds = Math.max(1e-9, lastAt - recvStart) / 1000;
    const seconds =
      (o.mode === 'pubsub' ? Math.max(lastAt, lastDone) - pubStart : r.runEnd - r.runStart) / 1000;
    const b = o.connection.broker;
    const summary: BenchSummary = {
      mode: o.mode,
      broker: `${b.scheme}://${b.host}:${b.port}`,
      protocolVersion: o.connection.protocolVersion ?? 4,
      qos: o.qos,
      payloadSize: o.payloadSize,
      connections: {
        requested: r.attempted,
        connected: r.connected,
        failed: r.attempted - r.connected,
        seconds: r.connectSeconds,
        perSecond: r.connectSeconds > 0 ? r.connected / r.connectSeconds : 0,
      },
      published,
      publishedPerSecond: published > 0 ? published / publishSeconds : 0,
      received,
      receivedPerSecond: received > 1 ? received / recvSeconds : 0,
      seconds: Math.max(0, seconds),
      errors: errorCount,
      errorMessages: errors.slice(0, 10),
      lost,
      duplicates,
      reordered,
    };
    if (r.histogram !== undefined) summary.latencyMs = r.histogram.summary();
    return summary;
  }
}
