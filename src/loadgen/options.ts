/**
 * Turns `mqx bench` flags into LoadOptions: the defaults that depend on the mode and the checks a
 * user should hear about before any connection is made.
 */
import type { ClientOptions } from '../client/options.js';
import { UsageError } from '../errors.js';
import type { QoS } from '../protocol/types.js';
import { validateTopicFilter, validateTopicName } from '../topics/validate.js';
import { type BenchMode, DEFAULT_LOAD_OPTIONS, type LoadOptions } from './load.js';
import { PAYLOAD_HEADER_SIZE } from './payload.js';
import { expandTopic } from './template.js';

export interface BenchFlags {
  clients?: number;
  subscribers?: number;
  connectInterval?: number;
  connectConcurrency?: number;
  topic?: string;
  subTopic?: string;
  qos: QoS;
  subscribeQos?: QoS;
  retain?: boolean;
  size?: number;
  /** Milliseconds between messages of one publisher. */
  messageInterval?: number;
  /** Messages per second over all publishers. */
  rate?: number;
  limit?: number;
  /** Seconds. */
  duration?: number;
  inflight?: number;
  batch?: number;
  /** Seconds. */
  drainTimeout?: number;
}

function positive(value: number | undefined, flag: string, allowZero = false): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isFinite(value) || value < 0 || (!allowZero && value === 0)) {
    throw new UsageError(
      `--${flag} must be a ${allowZero ? 'non-negative' : 'positive'} number, got ${value}`,
    );
  }
  return value;
}

function integer(value: number | undefined, flag: string, min: number): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value < min)
    throw new UsageError(`--${flag} must be an integer >= ${min}, got ${value}`);
  return value;
}

/** Rejects a template whose expansion is not a valid topic (or filter). */
function checkTemplate(template: string, flag: string, filter: boolean): void {
  const sample = expandTopic(template, 0, 'client');
  const problem = filter ? validateTopicFilter(sample) : validateTopicName(sample);
  if (problem) throw new UsageError(`--${flag} "${template}": ${problem}`);
}

export function loadOptions(mode: BenchMode, flags: BenchFlags, connection: ClientOptions): LoadOptions {
  const d = DEFAULT_LOAD_OPTIONS;
  const clients = integer(flags.clients, 'clients', 1) ?? d.clients;
  const subscribers = integer(flags.subscribers, 'subscribers', 1) ?? d.subscribers;
  if (flags.rate !== undefined && flags.messageInterval !== undefined) {
    throw new UsageError('give --rate or --message-interval, not both');
  }
  const rate = positive(flags.rate, 'rate');
  const interval = positive(flags.messageInterval, 'message-interval');
  const ratePerClient =
    rate !== undefined ? rate / clients : interval !== undefined ? 1000 / interval : undefined;
  const size = integer(flags.size, 'size', PAYLOAD_HEADER_SIZE) ?? d.payloadSize;
  // For sub, the one template is the filter; for pub and pubsub it is the publish topic.
  const topic = mode === 'sub' ? d.topic : (flags.topic ?? d.topic);
  const filter = mode === 'sub' ? (flags.topic ?? d.filter) : (flags.subTopic ?? d.filter);
  if (mode === 'pub' || mode === 'pubsub') checkTemplate(topic, 'topic', false);
  if (mode === 'sub' || mode === 'pubsub')
    checkTemplate(filter, mode === 'sub' ? 'topic' : 'sub-topic', true);
  const duration = positive(flags.duration, 'duration');
  const options: LoadOptions = {
    ...d,
    mode,
    connection,
    clients,
    subscribers,
    clientIdPrefix: connection.clientId ?? d.clientIdPrefix,
    connectIntervalMs: positive(flags.connectInterval, 'connect-interval', true) ?? d.connectIntervalMs,
    connectConcurrency: integer(flags.connectConcurrency, 'connect-concurrency', 1) ?? d.connectConcurrency,
    topic,
    filter,
    qos: flags.qos,
    retain: flags.retain ?? false,
    payloadSize: size,
    limit: integer(flags.limit, 'limit', 1) ?? d.limit,
    durationMs: duration !== undefined ? duration * 1000 : d.durationMs,
    inflight: integer(flags.inflight, 'inflight', 1) ?? d.inflight,
    batch: integer(flags.batch, 'batch', 1) ?? d.batch,
    drainTimeoutMs: (positive(flags.drainTimeout, 'drain-timeout') ?? d.drainTimeoutMs / 1000) * 1000,
    connectTimeoutMs: connection.connectTimeoutMs ?? d.connectTimeoutMs,
  };
  if (flags.subscribeQos !== undefined) options.subscribeQos = flags.subscribeQos;
  if (ratePerClient !== undefined) options.ratePerClient = ratePerClient;
  return options;
}

/** Whether the run went wrong in a way a script should see in the exit code. */
export function failed(s: { errors: number; lost: number; duplicates: number; reordered: number }): boolean {
  return s.errors > 0 || s.lost > 0 || s.duplicates > 0 || s.reordered > 0;
}
