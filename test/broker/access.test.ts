import { writeFileSync } from 'node:fs';
import path from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatEntry } from '../../src/broker/auth/password-file.js';
import { type InProcessBroker, startBroker } from '../helpers/broker.js';
import { tempDir } from '../helpers/processes.js';

describe('per_listener_settings', () => {
  let b: InProcessBroker;
  beforeAll(async () => {
    const passwd = path.join(tempDir('mqx-plisten-'), 'passwd');
    writeFileSync(passwd, `${await formatEntry('carol', 'c-secret')}\n`);
    b = await startBroker({
      perListenerSettings: true,
      listeners: [
        {
          port: 0,
          host: '127.0.0.1',
          protocol: 'mqtt',
          maxConnections: 0,
          origin: 'test:1',
          security: { allowAnonymous: true },
        },
        {
          port: 0,
          host: '127.0.0.1',
          protocol: 'mqtt',
          maxConnections: 0,
          origin: 'test:2',
          security: { allowAnonymous: false, passwordFile: passwd },
        },
      ],
    });
  });
  afterAll(() => b.stop());

  const attempt = (port: number, opts: mqtt.IClientOptions = {}) =>
    mqtt
      .connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0, connectTimeout: 3_000, ...opts })
      .then(
        async (c) => {
          await c.endAsync();
          return 'accepted';
        },
        (err: Error) => `refused: ${err.message}`,
      );

  it('each listener applies its own authentication', async () => {
    const [open, closed] = b.broker.ports as [number, number];
    expect(await attempt(open)).toBe('accepted');
    expect(await attempt(closed)).toMatch(/^refused: .*Not authorized/i);
    expect(await attempt(closed, { username: 'carol', password: 'c-secret' })).toBe('accepted');
    expect(await attempt(closed, { username: 'carol', password: 'wrong' })).toMatch(/^refused/);
  });
});

describe('per_listener_settings and offline sessions', () => {
  it("judges an offline session by its own listener's ACL, not the first listener's", async () => {
    const dir = tempDir('mqx-plisten-acl-');
    const acl = path.join(dir, 'acl');
    writeFileSync(acl, 'topic read allowed/#\n');
    const b = await startBroker({
      perListenerSettings: true,
      listeners: [
        {
          port: 0,
          host: '127.0.0.1',
          protocol: 'mqtt',
          maxConnections: 0,
          origin: 'test:1',
          security: { allowAnonymous: true },
        },
        {
          port: 0,
          host: '127.0.0.1',
          protocol: 'mqtt',
          maxConnections: 0,
          origin: 'test:2',
          security: { allowAnonymous: true, aclFile: acl },
        },
      ],
    });
    try {
      const [open, restricted] = b.broker.ports as [number, number];
      const options = { reconnectPeriod: 0, clientId: 'acl-offline', clean: false };
      const sub = await mqtt.connectAsync(`mqtt://127.0.0.1:${restricted}`, options);
      // One filter over both topics: the ACL grants it (it reaches allowed/t) and filters each message.
      await sub.subscribeAsync('+/t', { qos: 1 });
      await sub.endAsync();
      const pub = await mqtt.connectAsync(`mqtt://127.0.0.1:${open}`, { reconnectPeriod: 0 });
      await pub.publishAsync('denied/t', 'no', { qos: 1 });
      await pub.publishAsync('allowed/t', 'yes', { qos: 1 });
      await pub.endAsync();
      const queued = [...b.broker.sessions.get('acl-offline')!.queue].map((o) => o.message.topic);
      expect(queued).toEqual(['allowed/t']);
    } finally {
      await b.stop();
    }
  });
});

describe('read-ACL answers kept per session', () => {
  it('apply a reloaded ACL to the next message, not the answer kept from before', async () => {
    const acl = path.join(tempDir('mqx-aclcache-'), 'acl');
    writeFileSync(acl, 'topic read a/#\ntopic write #\n');
    const b = await startBroker({ security: { allowAnonymous: true, aclFile: acl } });
    try {
      const sub = await mqtt.connectAsync(`mqtt://127.0.0.1:${b.port}`, { clientId: 'cache-sub' });
      await sub.subscribeAsync('+/x', { qos: 1 });
      const got: string[] = [];
      sub.on('message', (topic) => got.push(topic));
      const pub = await mqtt.connectAsync(`mqtt://127.0.0.1:${b.port}`);
      const settle = () => new Promise((r) => setTimeout(r, 150));
      await pub.publishAsync('a/x', '1', { qos: 1 });
      await pub.publishAsync('b/x', '1', { qos: 1 });
      await settle();
      expect(got).toEqual(['a/x']);
      expect(b.broker.sessions.get('cache-sub')?.aclReads?.get('b/x')).toBe(false);
      writeFileSync(acl, 'topic read a/#\ntopic read b/#\ntopic write #\n');
      await b.broker.reload();
      await pub.publishAsync('b/x', '2', { qos: 1 });
      await settle();
      expect(got).toEqual(['a/x', 'b/x']);
      await pub.endAsync();
      await sub.endAsync();
    } finally {
      await b.stop();
    }
  });
});
