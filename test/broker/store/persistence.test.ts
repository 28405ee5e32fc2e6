import { afterEach, describe, expect, it } from 'vitest';
import type { InProcessBroker } from '../../helpers/broker.js';
import { tempDir } from '../../helpers/processes.js';
import { RawClient } from '../../helpers/raw-client.js';
import { persistentClient, publish, startPersistent, subscribe } from './helpers.js';

let running: InProcessBroker | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

/** Stops the broker on `dir` and starts another on the same store. */
async function restart(dir: string, overrides = {}): Promise<InProcessBroker> {
  await running?.stop();
  running = await startPersistent(dir, overrides);
  return running;
}

async function publishAcked(port: number, topic: string, payloads: string[], qos: 1 | 2, retain = false) {
  const p = await RawClient.connect(port);
  let id = 1;
  for (const text of payloads) {
    p.send(publish(topic, text, qos, id, { retain }));
    if (qos === 1) await p.next('puback');
    else {
      await p.next('pubrec');
      p.send({ type: 'pubrel', packetId: id });
      await p.next('pubcomp');
    }
    id++;
  }
  p.end();
}

describe('persistence across restarts', () => {
  it('keeps a persistent session, its subscription, queued messages and retained messages', async () => {
    const dir = tempDir();
    let b = await restart(dir);
    const s = await persistentClient(b.port, 'keeper');
    await subscribe(s, 'keep/#', 2);
    s.send({ type: 'disconnect' });
    await s.closed;
    await publishAcked(b.port, 'keep/q1', ['a', 'b'], 1);
    await publishAcked(b.port, 'keep/q2', ['c'], 2);
    await publishAcked(b.port, 'keep/r', ['retained'], 1, true);

    b = await restart(dir);
    expect(b.broker.retained.get('keep/r')?.payload.toString()).toBe('retained');
    const again = await RawClient.connect(b.port, { clientId: 'keeper', clean: false });
    const got: string[] = [];
    for (let i = 0; i < 4; i++) {
      const m = await again.next('publish');
      got.push(m.payload.toString());
      if (m.qos === 1) again.send({ type: 'puback', packetId: m.packetId! });
      if (m.qos === 2) again.send({ type: 'pubrec', packetId: m.packetId! });
    }
    expect(got).toEqual(['a', 'b', 'c', 'retained']);
    // The subscription came back too: a new message is routed without subscribing again.
    await publishAcked(b.port, 'keep/new', ['d'], 1);
    expect((await again.next('publish')).payload.toString()).toBe('d');
    again.end();
  });

  it('resends unacknowledged deliveries with DUP, and PUBREL for released QoS 2', async () => {
    const dir = tempDir();
    let b = await restart(dir);
    const s = await persistentClient(b.port, 'slow');
    await subscribe(s, 'slow/#', 2);
    await publishAcked(b.port, 'slow/1', ['one'], 1);
    await publishAcked(b.port, 'slow/2', ['two'], 2);
    const first = await s.next('publish');
    const second = await s.next('publish');
    expect(first.dup).toBe(false);
    s.send({ type: 'pubrec', packetId: second.packetId! });
    await s.next('pubrel');
    s.end();

    b = await restart(dir);
    const again = await persistentClient(b.port, 'slow');
    const resent = await again.next('publish');
    expect(resent).toMatchObject({ dup: true, packetId: first.packetId, qos: 1 });
    expect(resent.payload.toString()).toBe('one');
    expect((await again.next('pubrel')).packetId).toBe(second.packetId);
    expect(await again.nothing('publish')).toBe(true);
    again.end();
  });

  it('remembers inbound QoS 2 packet ids: a resent PUBLISH is not delivered twice', async () => {
    const dir = tempDir();
    let b = await restart(dir);
    const s = await persistentClient(b.port, 'q2sub');
    await subscribe(s, 'q2/#', 1);
    s.end();
    const p = await persistentClient(b.port, 'q2pub');
    p.send(publish('q2/x', 'once', 2, 9));
    await p.next('pubrec');
    p.end();

    b = await restart(dir);
    const p2 = await persistentClient(b.port, 'q2pub');
    p2.send(publish('q2/x', 'once', 2, 9, { dup: true }));
    await p2.next('pubrec');
    p2.send({ type: 'pubrel', packetId: 9 });
    await p2.next('pubcomp');
    const s2 = await persistentClient(b.port, 'q2sub');
    const m = await s2.next('publish');
    expect(m.payload.toString()).toBe('once');
    s2.send({ type: 'puback', packetId: m.packetId! });
    expect(await s2.nothing('publish')).toBe(true);
    p2.end();
    s2.end();
  });

  it('keeps 5.0 subscription options and identifiers', async () => {
    const dir = tempDir();
    let b = await restart(dir);
    const s = await RawClient.connect(b.port, {
      clientId: 'v5',
      clean: false,
      protocolVersion: 5,
      properties: { sessionExpiryInterval: 3600 },
    });
    s.send({
      type: 'subscribe',
      packetId: 1,
      subscriptions: [{ topicFilter: 'v5/#', qos: 1, noLocal: true, retainAsPublished: true }],
      properties: { subscriptionIdentifiers: [42] },
    });
    await s.next('suback');
    s.end();

    b = await restart(dir);
    const session = b.broker.sessions.get('v5')!;
    expect(session.expiryInterval).toBe(3600);
    expect(session.subscriptions.get('v5/#')).toMatchObject({
      qos: 1,
      noLocal: true,
      retainAsPublished: true,
      subscriptionId: 42,
    });
    const again = await RawClient.connect(b.port, {
      clientId: 'v5',
      clean: false,
      protocolVersion: 5,
      properties: { sessionExpiryInterval: 3600 },
    });
    await publishAcked(b.port, 'v5/t', ['x'], 1, true);
    const m = await again.next('publish');
    expect(m.retain).toBe(true);
    expect(m.properties?.subscriptionIdentifiers).toEqual([42]);
    again.end();
  });

  it('counts the time the broker was down against session expiry', async () => {
    const dir = tempDir();
    let b = await restart(dir);
    const s = await RawClient.connect(b.port, {
      clientId: 'brief',
      clean: false,
      protocolVersion: 5,
      properties: { sessionExpiryInterval: 1 },
    });
    await subscribe(s, 'brief/#', 1);
    s.send({ type: 'disconnect' });
    await s.closed;
    await running!.stop();
    running = undefined;
    await new Promise((r) => setTimeout(r, 1200));
    b = await restart(dir);
    // Expired while the broker was down: not even restored.
    expect(b.broker.sessions.has('brief')).toBe(false);
    expect(b.broker.router.size).toBe(0);
  });

  it('keeps a will waiting out its delay and publishes it after the restart', async () => {
    const dir = tempDir();
    let b = await restart(dir);
    const s = await persistentClient(b.port, 'watcher');
    await subscribe(s, 'wills/#', 1);
    s.end();
    const w = await RawClient.connect(b.port, {
      clientId: 'mortal',
      clean: false,
      protocolVersion: 5,
      properties: { sessionExpiryInterval: 60 },
      will: {
        topic: 'wills/mortal',
        payload: Buffer.from('gone'),
        qos: 1,
        retain: false,
        properties: { willDelayInterval: 1 },
      },
    });
    w.end();
    await w.closed;
    await new Promise((r) => setTimeout(r, 100));
    expect(b.broker.pendingWills.has('mortal')).toBe(true);

    b = await restart(dir);
    expect(b.broker.pendingWills.has('mortal')).toBe(true);
    const again = await persistentClient(b.port, 'watcher');
    const m = await again.next('publish', 4000);
    expect(m.payload.toString()).toBe('gone');
    again.end();
  });

  it('does not store clean sessions', async () => {
    const dir = tempDir();
    let b = await restart(dir);
    const s = await RawClient.connect(b.port, { clientId: 'fleeting', clean: true });
    await subscribe(s, 'fleeting/#', 1);
    await running!.stop();
    running = undefined;
    b = await restart(dir);
    expect(b.broker.sessions.size).toBe(0);
    expect(b.broker.router.size).toBe(0);
  });

  it('forgets a session that ends (clean start) and a topic whose retained message is cleared', async () => {
    const dir = tempDir();
    let b = await restart(dir);
    const s = await persistentClient(b.port, 'gone');
    await subscribe(s, 'gone/#', 1);
    s.end();
    await publishAcked(b.port, 'gone/r', ['x'], 1, true);
    await publishAcked(b.port, 'gone/r', [''], 1, true);
    const c = await RawClient.connect(b.port, { clientId: 'gone', clean: true });
    c.send({ type: 'disconnect' });
    await c.closed;
    b = await restart(dir);
    expect(b.broker.sessions.size).toBe(0);
    expect(b.broker.retained.size).toBe(0);
  });
});
