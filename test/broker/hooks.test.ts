import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import type { BrokerObserver } from '../../src/broker/hooks.js';
import { type InProcessBroker, startBroker } from '../helpers/broker.js';

const running: InProcessBroker[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((b) => b.stop()));
});

async function broker(): Promise<InProcessBroker> {
  const b = await startBroker();
  running.push(b);
  return b;
}

const url = (b: InProcessBroker) => `mqtt://127.0.0.1:${b.port}`;

describe('broker hooks', () => {
  it('tells observers of sessions, subscriptions and messages', async () => {
    const b = await broker();
    const seen: string[] = [];
    b.broker.observe({
      name: 'recorder',
      sessionConnected: (s) => seen.push(`connected ${s.clientId}`),
      subscribed: (s, sub) => seen.push(`subscribed ${s.clientId} ${sub.filter}`),
      messageAccepted: (m) => seen.push(`accepted ${m.topic}`),
      messageRouted: (m, n) => seen.push(`routed ${m.topic} ${n}`),
      messageDelivered: (s, m) => seen.push(`delivered ${s.clientId} ${m.topic}`),
      sessionDisconnected: (s) => seen.push(`disconnected ${s.clientId}`),
      sessionEnded: (s) => seen.push(`ended ${s.clientId}`),
    });
    const sub = await mqtt.connectAsync(url(b), { clientId: 'sub' });
    await sub.subscribeAsync('h/t', { qos: 1 });
    const got = new Promise((resolve) => sub.once('message', resolve));
    const pub = await mqtt.connectAsync(url(b), { clientId: 'pub' });
    await pub.publishAsync('h/t', 'x', { qos: 1 });
    await got;
    await pub.endAsync();
    await sub.endAsync();
    await new Promise((r) => setTimeout(r, 100));
    expect(seen).toEqual([
      'connected sub',
      'subscribed sub h/t',
      'connected pub',
      'accepted h/t',
      'delivered sub h/t',
      'routed h/t 1',
      'disconnected pub',
      'ended pub',
      'disconnected sub',
      'ended sub',
    ]);
  });

  it('an observer that throws loses no message and stops nothing but itself', async () => {
    const b = await broker();
    const errors: string[] = [];
    const log = b.broker.log as unknown as { error: (line: string) => void };
    const original = log.error.bind(log);
    log.error = (line: string) => {
      errors.push(line);
      original(line);
    };
    let calls = 0;
    let healthy = 0;
    const thrower: BrokerObserver = {
      name: 'thrower',
      messageRouted: () => {
        calls++;
        throw new Error('boom');
      },
      messageDelivered: () => undefined,
    };
    b.broker.observe(thrower);
    b.broker.observe({ name: 'healthy', messageRouted: () => healthy++ });
    const sub = await mqtt.connectAsync(url(b));
    await sub.subscribeAsync('t/#', { qos: 1 });
    const received: string[] = [];
    sub.on('message', (_t, p) => received.push(p.toString()));
    const pub = await mqtt.connectAsync(url(b));
    for (let i = 0; i < 20; i++) await pub.publishAsync('t/x', String(i), { qos: 1 });
    for (let i = 0; i < 50 && received.length < 20; i++) await new Promise((r) => setTimeout(r, 20));
    expect(received).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
    expect(calls).toBe(1);
    expect(healthy).toBe(20);
    expect(
      errors.filter((e) => /Observer thrower failed on messageRouted and is removed: boom/.test(e)),
    ).toHaveLength(1);
    expect(b.broker.hooks.on.messageDelivered).toBeUndefined();
    await pub.endAsync();
    await sub.endAsync();
  });

  it('an authenticator decides before the password file, and one that throws denies the CONNECT', async () => {
    const b = await broker();
    b.broker.hooks.authenticators.push({
      name: 'by-name',
      authenticate: async ({ clientId }) => {
        if (clientId === 'broken') throw new Error('back end down');
        return clientId.startsWith('bad') ? 'deny' : undefined;
      },
    });
    const ok = await mqtt.connectAsync(url(b), { clientId: 'good', reconnectPeriod: 0 });
    await ok.endAsync();
    for (const clientId of ['bad-1', 'broken']) {
      await expect(mqtt.connectAsync(url(b), { clientId, reconnectPeriod: 0 })).rejects.toThrow(
        /Not authorized/i,
      );
    }
  });
});
