import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { attachAdmin } from '../../src/admin/index.js';
import { formatEntry } from '../../src/broker/auth/password-file.js';
import { Message } from '../../src/broker/message.js';
import { type AdminBroker, basic, call, post, startAdminBroker } from '../helpers/admin.js';
import { startBroker } from '../helpers/broker.js';
import { makeCerts } from '../helpers/certs.js';
import { peers } from '../helpers/peers.js';
import { tempDir } from '../helpers/processes.js';

const connect = (port: number, opts: mqtt.IClientOptions = {}) =>
  mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0, protocolVersion: 5, ...opts });

describe('admin API on loopback, without a password file', () => {
  let b: AdminBroker;
  let sensor: MqttClient;
  beforeAll(async () => {
    b = await startAdminBroker();
    sensor = await connect(b.port, { clientId: 'sensor-1', username: 'dev', keepalive: 30 });
    await sensor.subscribeAsync('lab/+/temp', { qos: 1 });
    await sensor.publishAsync('lab/a/temp', '21.5', { retain: true, qos: 1 });
    await sensor.publishAsync('lab/b/temp', Buffer.from([0, 1, 2, 255]), { retain: true });
    await sensor.publishAsync('other/x', 'keep', { retain: true });
    // A QoS 0 publish is done once written: the broker may not have stored it yet.
    await vi.waitFor(async () => expect((await call(b.url, '/api/v1/retained')).json.total).toBe(3));
  });
  afterAll(async () => {
    await sensor?.endAsync(true);
    await b?.stop();
  });

  it('lists clients with their connection details', async () => {
    const r = await call(b.url, '/api/v1/clients');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^application\/json/);
    const c = r.json.clients.find((x: { id: string }) => x.id === 'sensor-1');
    expect(c).toMatchObject({
      connected: true,
      username: 'dev',
      protocol: 'mqttv5',
      keepalive: 30,
      inflight: 0,
      queued: 0,
    });
    expect(c.address).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(Date.parse(c.connected_since)).toBeLessThanOrEqual(Date.now());
    expect(c.bytes_received).toBeGreaterThan(0);
    expect(c.bytes_sent).toBeGreaterThan(0);
    expect((await call(b.url, '/api/v1/clients?connected=maybe')).json.error).toMatch(/^connected:/);
    expect((await call(b.url, '/api/v1/clients?limit=0')).status).toBe(400);
  });

  it('lists clients by id, and a limit keeps the first of them', async () => {
    const extra = [];
    for (const clientId of ['order-c', 'order-a', 'order-b']) extra.push(await connect(b.port, { clientId }));
    try {
      const all = (await call(b.url, '/api/v1/clients')).json;
      const ids = all.clients.map((c: { id: string }) => c.id);
      expect(ids).toEqual([...ids].sort());
      expect(ids).toEqual(expect.arrayContaining(['order-a', 'order-b', 'order-c', 'sensor-1']));
      const first = (await call(b.url, '/api/v1/clients?limit=2')).json;
      expect(first.total).toBe(all.total);
      expect(first.clients.map((c: { id: string }) => c.id)).toEqual(ids.slice(0, 2));
    } finally {
      for (const client of extra) await client.endAsync(true);
    }
  });

  it('shows one client with its subscriptions, and 404 for an unknown one', async () => {
    const r = await call(b.url, '/api/v1/clients/sensor-1');
    expect(r.json.subscriptions).toEqual([
      expect.objectContaining({ client: 'sensor-1', filter: 'lab/+/temp', qos: 1, no_local: false }),
    ]);
    const missing = await call(b.url, '/api/v1/clients/nobody');
    expect(missing.status).toBe(404);
    expect(missing.json).toEqual({ error: "no client 'nobody'", status: 404 });
  });

  it('lists subscriptions under a filter, and names the field of a bad one', async () => {
    expect((await call(b.url, '/api/v1/subscriptions?filter=lab/%23')).json.total).toBe(1);
    expect((await call(b.url, '/api/v1/subscriptions?filter=other/%23')).json.total).toBe(0);
    const bad = await call(b.url, '/api/v1/subscriptions?filter=a/%23/b');
    expect(bad.status).toBe(400);
    expect(bad.json.error).toMatch(/^filter: /);
  });

  it('lists retained messages with size, QoS, age and a preview', async () => {
    const r = await call(b.url, '/api/v1/retained?filter=lab/%23');
    expect(r.json.total).toBe(2);
    expect(r.json.retained[0]).toMatchObject({
      topic: 'lab/a/temp',
      size: 4,
      qos: 1,
      payload_preview: '21.5',
      preview_encoding: 'utf8',
      truncated: false,
    });
    expect(r.json.retained[0].age_seconds).toBeGreaterThanOrEqual(0);
    expect(r.json.retained[1]).toMatchObject({
      topic: 'lab/b/temp',
      preview_encoding: 'base64',
      payload_preview: 'AAEC/w==',
    });
  });

  it('deletes retained messages by filter, after a dry run that only lists them', async () => {
    const dry = await post(b.url, '/api/v1/retained/delete', { filter: 'lab/#', dry_run: true });
    expect(dry.json).toEqual({ dry_run: true, count: 2, topics: ['lab/a/temp', 'lab/b/temp'] });
    expect(b.broker.retained.get('lab/a/temp')).toBeDefined();
    const gone = await post(b.url, '/api/v1/retained/delete', { filter: 'lab/#' });
    expect(gone.json.count).toBe(2);
    expect(b.broker.retained.get('lab/a/temp')).toBeUndefined();
    expect(b.broker.retained.get('other/x')).toBeDefined();
    expect((await post(b.url, '/api/v1/retained/delete', {})).json.error).toBe('filter: is required');
    expect(
      (await post(b.url, '/api/v1/retained/delete', { filter: 'a', dry_run: 'yes' })).json.error,
    ).toMatch(/^dry_run: /);
  });

  it('publishes a message to subscribers, and names a bad field', async () => {
    const got = new Promise<string>((resolve) => sensor.once('message', (_t, p) => resolve(p.toString())));
    const r = await post(b.url, '/api/v1/publish', { topic: 'lab/c/temp', payload: 'from http', qos: 1 });
    expect(r.json).toEqual({ topic: 'lab/c/temp', matched: 1 });
    expect(await got).toBe('from http');
    expect((await post(b.url, '/api/v1/publish', { payload: 'x' })).json.error).toBe('topic: is required');
    expect((await post(b.url, '/api/v1/publish', { topic: 'a/#' })).json.error).toMatch(/^topic: /);
    expect((await post(b.url, '/api/v1/publish', { topic: 'a', qos: 3 })).json.error).toMatch(/^qos: /);
    const notJson = await call(b.url, '/api/v1/publish', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-MQX-Request': '1' },
      body: '{topic',
    });
    expect(notJson.status).toBe(400);
    expect(notJson.json.error).toBe('body: not valid JSON');
  });

  it('serves bridges and the $SYS tree', async () => {
    expect((await call(b.url, '/api/v1/bridges')).json).toEqual([]);
    const tree = (await call(b.url, '/api/v1/systree')).json;
    expect(tree.clients.connected).toBe(1);
    expect(typeof tree.uptime).toBe('number');
    expect(tree['retained messages'].count).toBe(b.broker.retained.size);
  });

  it('streams stats and the client list as server-sent events', async () => {
    const controller = new AbortController();
    const res = await fetch(`${b.url}/api/v1/events`, { signal: controller.signal });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = res.body!.getReader();
    let text = '';
    while (!/event: clients\ndata: .*\n\n/.test(text))
      text += new TextDecoder().decode((await reader.read()).value);
    controller.abort();
    const stats = JSON.parse(/event: stats\ndata: (.*)\n/.exec(text)![1]!);
    expect(stats).toMatchObject({ connected: 1, sessions: 1 });
    const clients = JSON.parse(/event: clients\ndata: (.*)\n/.exec(text)![1]!);
    expect(clients.clients.map((c: { id: string }) => c.id)).toEqual(['sensor-1']);
  });

  it('answers unknown paths 404 and wrong methods 405, as JSON with the security headers', async () => {
    for (const p of [
      '/api/v1/nothing',
      '/api/v1/constructor',
      '/api/v2/clients',
      '/nothing',
      '/api/v1/clients/a/b/c',
      '/constructor',
    ]) {
      const r = await call(b.url, p);
      expect(r.status, p).toBe(404);
      expect(r.json.status).toBe(404);
      expect(r.headers.get('x-content-type-options')).toBe('nosniff');
      expect(r.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
    }
    const r = await call(b.url, '/api/v1/publish');
    expect(r.status).toBe(405);
    expect(r.headers.get('allow')).toBe('POST');
  });

  it('refuses a foreign Host (DNS rebinding) and a foreign Origin', async () => {
    const { request } = await import('node:http');
    const withHost = (host: string) =>
      new Promise<number>((resolve, reject) => {
        const req = request(`${b.url}/api/v1/clients`, { headers: { Host: host } }, (res) => {
          res.resume();
          resolve(res.statusCode!);
        });
        req.on('error', reject);
        req.end();
      });
    expect(await withHost('evil.example:8080')).toBe(403);
    expect(await withHost('localhost:1')).toBe(200);
    const foreign = await call(b.url, '/api/v1/clients', { headers: { Origin: 'http://evil.example' } });
    expect(foreign.status).toBe(403);
    expect(foreign.json.error).toMatch(/^Origin: /);
    expect((await call(b.url, '/api/v1/clients', { headers: { Origin: b.url } })).status).toBe(200);
    const crossSite = await post(
      b.url,
      '/api/v1/publish',
      { topic: 'x' },
      { 'Sec-Fetch-Site': 'cross-site' },
    );
    expect(crossSite.status).toBe(403);
  });

  it('refuses a mutation without a JSON body or without the custom header (CSRF)', async () => {
    const form = await call(b.url, '/api/v1/clients/sensor-1/disconnect', {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-MQX-Request': '1' },
      body: 'a=1',
    });
    expect(form.status).toBe(415);
    const noHeader = await call(b.url, '/api/v1/clients/sensor-1/disconnect', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{}',
    });
    expect(noHeader.status).toBe(403);
    expect(noHeader.json.error).toMatch(/x-mqx-request/);
    expect(sensor.connected).toBe(true);
  });

  it('disconnects a client with reason 0x98', async () => {
    const other = await connect(b.port, { clientId: 'to-kick' });
    const reason = new Promise<number | undefined>((resolve) =>
      other.once('disconnect', (packet) => resolve(packet.reasonCode)),
    );
    const r = await post(b.url, '/api/v1/clients/to-kick/disconnect', {});
    expect(r.json).toEqual({ disconnected: 'to-kick' });
    expect(await reason).toBe(0x98);
    await vi.waitFor(async () => expect((await call(b.url, '/api/v1/clients/to-kick')).status).toBe(404));
    expect((await post(b.url, '/api/v1/clients/to-kick/disconnect', {})).status).toBe(404);
    other.end(true);
  });
});

describe('admin API with a password file', () => {
  let b: AdminBroker;
  let notices: string[];
  let passwd: string;
  const reader = basic('reader', 'r-pass');
  const ops = basic('ops', 'o-pass');
  beforeAll(async () => {
    const dir = tempDir('mqx-admin-auth-');
    passwd = path.join(dir, 'passwd');
    writeFileSync(
      passwd,
      `${await formatEntry('reader', 'r-pass')}\n${await formatEntry('ops', 'o-pass')}\n${await formatEntry('slow', 's-pass')}\n`,
    );
    const acl = path.join(dir, 'acl');
    writeFileSync(
      acl,
      'user reader\ntopic read lab/#\n\nuser ops\ntopic readwrite lab/#\ntopic read secret/#\n',
    );
    b = await startAdminBroker(
      { security: { passwordFile: passwd, aclFile: acl, allowAnonymous: true } },
      { admins: ['ops'] },
    );
    notices = [];
    vi.spyOn(b.broker.log, 'notice').mockImplementation((m: string) => void notices.push(m));
    for (const [topic, payload] of [
      ['lab/a', 'visible'],
      ['secret/b', 'hidden'],
    ] as const) {
      b.broker.publish(new Message(topic, Buffer.from(payload), 0, true, undefined, 0, '', false));
    }
    const s = b.broker.newSession('watcher');
    for (const filter of ['lab/x', 'secret/y'])
      b.broker.subscribe(s, {
        clientId: 'watcher',
        filter,
        matchFilter: filter,
        group: '',
        qos: 0,
        noLocal: false,
        retainAsPublished: false,
        retainHandling: 0,
        subscriptionId: 0,
        subscriptionIds: undefined,
        session: s,
      });
  });
  afterAll(() => b?.stop());

  it('answers 401 without or with wrong credentials, and logs the failure', async () => {
    const none = await call(b.url, '/api/v1/clients');
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Basic realm="mqx"/);
    const wrong = await call(b.url, '/api/v1/clients', { headers: basic('reader', 'nope') });
    expect(wrong.status).toBe(401);
    expect(notices.some((n) => /bad credentials for 'reader'/.test(n))).toBe(true);
    expect((await call(b.url, '/api/v1/clients', { headers: reader })).status).toBe(200);
  });

  it('answers 403 to a valid user without http_admin asking for a change, and logs it', async () => {
    const r = await post(b.url, '/api/v1/publish', { topic: 'lab/a', payload: 'x' }, reader);
    expect(r.status).toBe(403);
    expect(r.json.error).toMatch(/not an http_admin/);
    expect(notices.some((n) => /'reader' is not an http_admin/.test(n))).toBe(true);
  });

  it("filters a non-admin's reads by the MQTT read ACL", async () => {
    const retained = await call(b.url, '/api/v1/retained', { headers: reader });
    expect(retained.json.retained.map((m: { topic: string }) => m.topic)).toEqual(['lab/a']);
    const subs = await call(b.url, '/api/v1/subscriptions', { headers: reader });
    expect(subs.json.subscriptions.map((s: { filter: string }) => s.filter)).toEqual(['lab/x']);
    const all = await call(b.url, '/api/v1/retained', { headers: ops });
    expect(all.json.retained.map((m: { topic: string }) => m.topic)).toEqual(['lab/a', 'secret/b']);
  });

  it("lets an admin publish where the admin's write ACL allows, and only there", async () => {
    expect((await post(b.url, '/api/v1/publish', { topic: 'lab/cmd', payload: 'go' }, ops)).status).toBe(200);
    const denied = await post(b.url, '/api/v1/publish', { topic: 'secret/b', payload: 'x' }, ops);
    expect(denied.status).toBe(403);
    expect(denied.json.error).toMatch(/^topic: /);
  });

  it('takes a changed password file within a few seconds', async () => {
    const late = basic('late', 'l-pass');
    expect((await call(b.url, '/api/v1/clients', { headers: late })).status).toBe(401);
    writeFileSync(passwd, `${readFileSync(passwd, 'utf8')}${await formatEntry('late', 'l-pass')}\n`);
    // Polling would count as failed logins from this address: wait out the two seconds instead.
    await new Promise((r) => setTimeout(r, 2_100));
    expect((await call(b.url, '/api/v1/clients', { headers: late })).status).toBe(200);
  });

  it('throttles an address after repeated failed logins, even for right credentials', async () => {
    const slow = basic('slow', 's-pass');
    expect((await call(b.url, '/api/v1/clients', { headers: slow })).status).toBe(200);
    for (let i = 0; i < 5; i++)
      expect((await call(b.url, '/api/v1/clients', { headers: basic('slow', `bad${i}`) })).status).toBe(401);
    const blocked = await call(b.url, '/api/v1/clients', { headers: slow });
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});

describe('admin listener addresses', () => {
  it('refuses to start on a non-loopback address without a password file', async () => {
    const b = await startBroker();
    try {
      await expect(
        attachAdmin(b.broker, {
          listeners: [
            { port: 0, host: '0.0.0.0', protocol: 'http_api', maxConnections: 0, origin: 'test.conf:3' },
          ],
          admins: [],
        }),
      ).rejects.toThrow(/test\.conf:3: .*needs a password_file/);
    } finally {
      await b.stop();
    }
  });
});

describe.runIf(peers.openssl())('admin listener with TLS', () => {
  it("serves HTTPS with the listener's certfile and keyfile", async () => {
    const certs = makeCerts();
    const b = await startBroker();
    const admin = await attachAdmin(b.broker, {
      listeners: [
        {
          port: 0,
          host: '127.0.0.1',
          protocol: 'http_api',
          maxConnections: 0,
          tls: {
            certfile: certs.serverCert,
            keyfile: certs.serverKey,
            requireCertificate: false,
            useIdentityAsUsername: false,
            useSubjectAsUsername: false,
          },
        },
      ],
      admins: [],
    });
    try {
      const { get } = await import('node:https');
      const body = await new Promise<string>((resolve, reject) => {
        get(
          `https://localhost:${admin.ports[0]}/api/v1/systree`,
          { ca: readFileSync(certs.caCert) },
          (res) => {
            let text = '';
            res.on('data', (c: Buffer) => {
              text += c;
            });
            res.on('end', () => resolve(text));
          },
        ).on('error', reject);
      });
      expect(JSON.parse(body).clients.connected).toBe(0);
    } finally {
      await admin.stop();
      await b.stop();
    }
  });
});
