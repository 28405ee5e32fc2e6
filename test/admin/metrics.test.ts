import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Message } from '../../src/broker/message.js';
import { defaultClusterSettings } from '../../src/config/broker-config.js';
import { type AdminBroker, call, startAdminBroker } from '../helpers/admin.js';
import { startBroker } from '../helpers/broker.js';
import { PROMTOOL, peers } from '../helpers/peers.js';
import { tempDir } from '../helpers/processes.js';
import { startRedis } from '../helpers/redis.js';

const connect = (port: number, opts: mqtt.IClientOptions = {}) =>
  mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0, protocolVersion: 5, ...opts });

/** `name{labels} value` lines as a map from `name{labels}` to the value. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    out.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return out;
}

describe('GET /metrics', () => {
  let b: AdminBroker;
  let sub: MqttClient;
  let pub: MqttClient;
  beforeAll(async () => {
    const dir = tempDir('mqx-metrics-');
    const acl = path.join(dir, 'acl');
    writeFileSync(acl, 'topic readwrite t/#\n');
    b = await startAdminBroker({ messageSizeLimit: 100, security: { aclFile: acl, allowAnonymous: true } });
    sub = await connect(b.port, {
      clientId: 'sub',
      clean: false,
      properties: { sessionExpiryInterval: 600 },
    });
    await sub.subscribeAsync('t/#', { qos: 2 });
    pub = await connect(b.port, { clientId: 'pub' });
    let got = 0;
    const all = new Promise<void>((resolve) =>
      sub.on('message', () => {
        if (++got === 6) resolve();
      }),
    );
    for (let i = 0; i < 3; i++) await pub.publishAsync('t/a', 'q0', { qos: 0 });
    for (let i = 0; i < 2; i++) await pub.publishAsync('t/a', 'q1', { qos: 1 });
    await pub.publishAsync('t/r', 'q2', { qos: 2, retain: true });
    await all;
    // Dropped: too large for message_size_limit, and outside the ACL.
    // Both are acknowledged with a failure reason code, which MQTT.js reports as an error.
    await expect(pub.publishAsync('t/big', Buffer.alloc(200), { qos: 1 })).rejects.toThrow(/Quota exceeded/);
    await expect(pub.publishAsync('denied/x', 'no', { qos: 1 })).rejects.toThrow(/Not authorized/);
  });
  afterAll(async () => {
    await pub?.endAsync(true);
    await sub?.endAsync(true);
    await b?.stop();
  });

  it('counts the known traffic exactly', async () => {
    const r = await call(b.url, '/metrics');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const m = samples(r.text);
    expect(m.get('mqx_messages_received_total{qos="0"}')).toBe(3);
    expect(m.get('mqx_messages_received_total{qos="1"}')).toBe(4);
    expect(m.get('mqx_messages_received_total{qos="2"}')).toBe(1);
    expect(m.get('mqx_messages_sent_total{qos="0"}')).toBe(3);
    expect(m.get('mqx_messages_sent_total{qos="1"}')).toBe(2);
    expect(m.get('mqx_messages_sent_total{qos="2"}')).toBe(1);
    expect(m.get('mqx_messages_dropped_total{reason="too_large"}')).toBe(1);
    expect(m.get('mqx_messages_dropped_total{reason="not_authorized"}')).toBe(1);
    expect(m.get('mqx_messages_dropped_total{reason="queue_full"}')).toBe(0);
    expect(m.get(`mqx_connections{listener="0",port="${b.port}"}`)).toBe(2);
    expect(m.get('mqx_sessions{state="online"}')).toBe(2);
    expect(m.get('mqx_sessions{state="offline"}')).toBe(0);
    expect(m.get('mqx_retained_messages')).toBe(1);
    expect(m.get('mqx_subscriptions')).toBe(1);
    expect(m.get('mqx_queued_messages')).toBe(0);
    expect(m.get('mqx_flow_control_paused_connections')).toBe(0);
    expect(m.get('mqx_bytes_received_total')).toBe(b.broker.stats.bytesReceived);
    expect(m.get('mqx_bytes_sent_total')).toBe(b.broker.stats.bytesSent);
    expect(m.get('mqx_bytes_received_total')).toBeGreaterThan(200);
    for (const family of ['mqx_messages_received_total', 'mqx_connections', 'mqx_sessions'])
      expect(r.text).toMatch(new RegExp(`# HELP ${family} .+\\n# TYPE ${family} (counter|gauge)\\n`));
  });

  it('shows an offline session and what is queued for it', async () => {
    await sub.endAsync();
    await pub.publishAsync('t/a', 'later', { qos: 1 });
    const m = samples((await call(b.url, '/metrics')).text);
    expect(m.get('mqx_sessions{state="offline"}')).toBe(1);
    expect(m.get('mqx_queued_messages')).toBe(1);
    sub = await connect(b.port, {
      clientId: 'sub',
      clean: false,
      properties: { sessionExpiryInterval: 600 },
    });
  });

  it.runIf(peers.prometheus())('passes promtool check metrics', async () => {
    const r = await call(b.url, '/metrics');
    const check = spawnSync(PROMTOOL, ['check', 'metrics'], { input: r.text, encoding: 'utf8' });
    expect(check.stdout + check.stderr).toBe('');
    expect(check.status).toBe(0);
  });

  it('keeps the same series after 10,000 clients and topics as after 10', async () => {
    const before = samples((await call(b.url, '/metrics')).text).size;
    const broker = b.broker;
    for (let i = 0; i < 10_000; i++) {
      const session = broker.newSession(`many-${i}`);
      broker.subscribe(session, {
        clientId: session.clientId,
        filter: `dev/${i}/#`,
        matchFilter: `dev/${i}/#`,
        group: '',
        qos: 1,
        noLocal: false,
        retainAsPublished: false,
        retainHandling: 0,
        subscriptionId: 0,
        subscriptionIds: undefined,
        session,
      });
      broker.publish(new Message(`dev/${i}/state`, Buffer.from('on'), 0, true, undefined, 0, '', false));
    }
    const extra = await Promise.all(
      Array.from({ length: 10 }, (_, i) => connect(b.port, { clientId: `real-${i}` })),
    );
    const after = samples((await call(b.url, '/metrics')).text);
    await Promise.all(extra.map((c) => c.endAsync(true)));
    expect(after.get('mqx_subscriptions')).toBeGreaterThanOrEqual(10_001);
    expect(after.get('mqx_sessions{state="offline"}')).toBeGreaterThanOrEqual(10_000);
    expect(after.size).toBe(before);
  });
});

describe('GET /metrics with persistence', () => {
  it('has the store commit histogram', async () => {
    const dir = tempDir('mqx-metrics-store-');
    const b = await startAdminBroker({
      persistence: { enabled: true, location: dir, autosaveInterval: 1800, syncEveryCommit: false },
    });
    try {
      const c = await connect(b.port, {
        clientId: 'p',
        clean: false,
        properties: { sessionExpiryInterval: 60 },
      });
      await c.publishAsync('keep/me', 'x', { qos: 1, retain: true });
      await c.endAsync();
      const m = samples((await call(b.url, '/metrics')).text);
      const count = m.get('mqx_store_commit_seconds_count')!;
      expect(count).toBeGreaterThan(0);
      expect(m.get('mqx_store_commit_seconds_bucket{le="+Inf"}')).toBe(count);
      expect(m.get('mqx_store_commit_seconds_bucket{le="1"}')).toBeLessThanOrEqual(count);
      expect(m.get('mqx_store_commit_seconds_sum')).toBeGreaterThan(0);
    } finally {
      await b.stop();
    }
  });
});

describe.runIf(peers.redis())('GET /metrics with --cluster', () => {
  it('counts the nodes of the cluster', async () => {
    const redis = await startRedis();
    const cluster = defaultClusterSettings(redis.url);
    const other = await startBroker({ cluster });
    const b = await startAdminBroker({ cluster });
    try {
      const m = samples((await call(b.url, '/metrics')).text);
      expect(m.get('mqx_cluster_nodes')).toBe(2);
    } finally {
      await b.stop();
      await other.stop();
      await redis.stop();
    }
  });
});
