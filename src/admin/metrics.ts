/**
 * GET /metrics: the broker's counters in Prometheus's text exposition format (version 0.0.4).
 * Every label is bounded by the configuration (listeners, bridges, QoS, drop reasons), never by
 * clients or topics, so the number of series stays the same however many clients connect.
 */
import type { Broker } from '../broker/broker.js';
import { COMMIT_BUCKETS } from '../broker/stats.js';
import { VERSION } from '../version.js';
import { connectionOf } from './views.js';

type Labels = Record<string, string | number>;

class Exposition {
  private readonly lines: string[] = [];

  family(name: string, type: 'counter' | 'gauge' | 'histogram', help: string): this {
    this.lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    return this;
  }

  sample(name: string, value: number, labels?: Labels): this {
    this.lines.push(`${name}${formatLabels(labels)} ${formatValue(value)}`);
    return this;
  }

  text(): string {
    return `${this.lines.join('\n')}\n`;
  }
}

function formatLabels(labels: Labels | undefined): string {
  if (labels === undefined) return '';
  const parts = Object.entries(labels).map(
    ([k, v]) => `${k}="${String(v).replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`,
  );
  return `{${parts.join(',')}}`;
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  return String(value);
}

const QOS = [0, 1, 2] as const;

const DROP_REASONS = [
  ['queue_full', 'queueFull'],
  ['congested', 'congested'],
  ['too_large', 'tooLarge'],
  ['not_authorized', 'notAuthorized'],
  ['expired', 'expired'],
  ['cluster_buffer_full', 'cluster'],
] as const;

export async function renderMetrics(broker: Broker): Promise<string> {
  const s = broker.stats;
  const out = new Exposition();
  out.family('mqx_build_info', 'gauge', 'Always 1; the version in a label.').sample('mqx_build_info', 1, {
    version: VERSION,
  });
  out
    .family('mqx_start_time_seconds', 'gauge', 'When the broker started, in seconds since the epoch.')
    .sample('mqx_start_time_seconds', s.startedAt / 1000);

  const perListener = broker.config.listeners.map(() => 0);
  for (const session of broker.sessions.values()) {
    const conn = connectionOf(session);
    if (conn !== undefined) perListener[conn.peer.listenerIndex]!++;
  }
  out.family('mqx_connections', 'gauge', 'Connected MQTT clients, by listener.');
  broker.config.listeners.forEach((l, i) => {
    out.sample('mqx_connections', perListener[i]!, { listener: String(i), port: broker.ports[i] ?? l.port });
  });
  out
    .family('mqx_connections_accepted_total', 'counter', 'Sockets accepted since start.')
    .sample('mqx_connections_accepted_total', s.connectionsTotal);

  let online = 0;
  let queued = 0;
  let inflight = 0;
  for (const session of broker.sessions.values()) {
    if (connectionOf(session) !== undefined) online++;
    queued += session.queuedCount;
    inflight += session.inflightCount;
  }
  out
    .family('mqx_sessions', 'gauge', 'Sessions, with a connection (online) or waiting for one (offline).')
    .sample('mqx_sessions', online, { state: 'online' })
    .sample('mqx_sessions', broker.sessions.size - online, { state: 'offline' });
  out
    .family('mqx_sessions_expired_total', 'counter', 'Sessions removed at their expiry.')
    .sample('mqx_sessions_expired_total', s.expiredSessions);

  out.family('mqx_messages_received_total', 'counter', 'PUBLISH packets received from clients, by QoS.');
  for (const q of QOS) out.sample('mqx_messages_received_total', s.publishReceivedByQos[q]!, { qos: q });
  out.family('mqx_messages_sent_total', 'counter', 'PUBLISH packets sent to clients, by QoS.');
  for (const q of QOS) out.sample('mqx_messages_sent_total', s.publishSentByQos[q]!, { qos: q });
  out.family('mqx_messages_dropped_total', 'counter', 'Messages not delivered or not accepted, by reason.');
  for (const [label, key] of DROP_REASONS)
    out.sample('mqx_messages_dropped_total', s.droppedBy[key], { reason: label });
  out
    .family('mqx_bytes_received_total', 'counter', 'Bytes read from MQTT connections.')
    .sample('mqx_bytes_received_total', s.bytesReceived);
  out
    .family('mqx_bytes_sent_total', 'counter', 'Bytes written to MQTT connections.')
    .sample('mqx_bytes_sent_total', s.bytesSent);
  out
    .family('mqx_protocol_errors_total', 'counter', 'Connections closed for a protocol violation.')
    .sample('mqx_protocol_errors_total', s.protocolErrors);

  out
    .family('mqx_retained_messages', 'gauge', 'Retained messages held.')
    .sample('mqx_retained_messages', broker.retained.size);
  out
    .family('mqx_retained_bytes', 'gauge', 'Payload bytes of the retained messages.')
    .sample('mqx_retained_bytes', broker.retained.payloadBytes);
  out
    .family('mqx_subscriptions', 'gauge', 'Subscriptions of all sessions.')
    .sample('mqx_subscriptions', broker.router.size);
  out
    .family('mqx_queued_messages', 'gauge', 'Messages waiting in session queues.')
    .sample('mqx_queued_messages', queued);
  out
    .family('mqx_inflight_messages', 'gauge', 'QoS 1 and 2 messages sent and not yet acknowledged.')
    .sample('mqx_inflight_messages', inflight);
  out
    .family(
      'mqx_flow_control_paused_connections',
      'gauge',
      'Publishers and links paused by flow control now.',
    )
    .sample('mqx_flow_control_paused_connections', broker.flow.pausedSources);
  out
    .family(
      'mqx_flow_control_releases_total',
      'counter',
      'Sessions released from flow control after their pause limit.',
    )
    .sample('mqx_flow_control_releases_total', broker.flow.releases);

  const bridges = [...(broker.bridges?.bridges.values() ?? [])];
  if (bridges.length > 0) {
    out.family('mqx_bridge_up', 'gauge', '1 while the bridge is connected to its remote.');
    for (const b of bridges) out.sample('mqx_bridge_up', b.isUp ? 1 : 0, { bridge: b.name });
    out.family('mqx_bridge_messages_total', 'counter', 'Messages a bridge forwarded, by direction.');
    for (const b of bridges) {
      out.sample('mqx_bridge_messages_total', sum(b.forwardedIn), { bridge: b.name, direction: 'in' });
      out.sample('mqx_bridge_messages_total', sum(b.forwardedOut), { bridge: b.name, direction: 'out' });
    }
  }

  const commits = broker.store.commits;
  if (commits !== undefined) {
    out.family('mqx_store_commit_seconds', 'histogram', 'Duration of persistence store commits.');
    let cumulative = 0;
    COMMIT_BUCKETS.forEach((bound, i) => {
      cumulative += commits.buckets[i]!;
      out.sample('mqx_store_commit_seconds_bucket', cumulative, { le: String(bound) });
    });
    out.sample('mqx_store_commit_seconds_bucket', commits.count, { le: '+Inf' });
    out.sample('mqx_store_commit_seconds_sum', commits.sum);
    out.sample('mqx_store_commit_seconds_count', commits.count);
  }

  if (broker.cluster !== undefined) {
    const nodes = await broker.cluster.nodeCount().catch(() => Number.NaN);
    out
      .family('mqx_cluster_nodes', 'gauge', 'Nodes registered in the cluster.')
      .sample('mqx_cluster_nodes', nodes);
  }
  return out.text();
}

function sum(values: readonly number[]): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}
