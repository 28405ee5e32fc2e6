/**
 * The features a probe checks by trying, each after what CONNACK said: the QoS a subscription is
 * granted, retained messages, wildcards, shared subscriptions, subscription identifiers, $SYS,
 * wills and delayed wills, and a kept session with a message queued while it was offline.
 */
import type { QoS } from '../protocol/types.js';
import { type ProbeContext, ROUND_TRIP_MS } from './context.js';

export async function probeFeatures(p: ProbeContext): Promise<void> {
  await p.step('maxQos', async () => {
    const c = await p.open(p.main);
    try {
      const [granted] = await c.client.subscribe([{ topicFilter: `${p.prefix}/qos`, qos: 2 }]);
      if (granted !== undefined && granted < 0x80) {
        p.add('maxQos', `SUBACK granted QoS ${granted} for QoS 2`);
        if (p.report.maxQos === null) p.report.maxQos = granted as QoS;
      }
    } finally {
      await c.close();
    }
  });

  await p.step('retain', async () => {
    if (p.report.retain === false) return;
    const topic = `${p.prefix}/retain`;
    const pub = await p.open(p.plain);
    // A broker without retained messages may drop the connection for this: that is the answer below.
    await pub.client.publish(topic, 'probe', { qos: p.qos1(), retain: true }).catch(() => undefined);
    await pub.close();
    p.cleanup(p.plain, {}, (c) => c.client.publish(topic, '', { qos: p.qos1(), retain: true }));
    const sub = await p.open(p.main);
    try {
      await sub.client.subscribe([{ topicFilter: topic, qos: 0 }]);
      const got = await sub.waitFor((m) => m.topic === topic && m.retain, p.bounded(ROUND_TRIP_MS));
      p.report.retain = got !== undefined;
      p.add(
        'retain',
        got
          ? 'a retained message reached a later subscriber'
          : 'a retained message did not reach a later subscriber',
      );
    } finally {
      await sub.close();
    }
  });

  await p.step('wildcards', async () => {
    if (p.report.wildcards === false) return;
    const c = await p.open(p.main);
    try {
      const codes = await c.client.subscribe([
        { topicFilter: `${p.prefix}/w/+/x`, qos: 0 },
        { topicFilter: `${p.prefix}/w/#`, qos: 0 },
      ]);
      if (codes.some((code) => code >= 0x80)) {
        p.report.wildcards = false;
        p.add('wildcards', 'SUBACK refused + and #');
        return;
      }
      await c.client.publish(`${p.prefix}/w/a/x`, 'w', { qos: 0 });
      await c.waitFor(() => c.messages.length >= 2, p.bounded(ROUND_TRIP_MS));
      p.report.wildcards = c.messages.filter((m) => m.topic === `${p.prefix}/w/a/x`).length >= 1;
      p.add(
        'wildcards',
        p.report.wildcards
          ? 'a message reached + and # subscriptions'
          : 'nothing reached + and # subscriptions',
      );
    } finally {
      await c.close();
    }
  });

  await p.step('sharedSubscriptions', async () => {
    if (p.report.sharedSubscriptions === false) return;
    const c = await p.open(p.main);
    try {
      const [code] = await c.client.subscribe([{ topicFilter: `$share/mqxprobe/${p.prefix}/s`, qos: 0 }]);
      if (code === undefined || code >= 0x80) {
        p.report.sharedSubscriptions = false;
        p.add('sharedSubscriptions', `SUBACK refused $share/... (0x${(code ?? 0x80).toString(16)})`);
        return;
      }
      await c.client.publish(`${p.prefix}/s`, 's', { qos: 0 });
      const got = await c.waitFor((m) => m.topic === `${p.prefix}/s`, p.bounded(ROUND_TRIP_MS));
      p.report.sharedSubscriptions = got !== undefined;
      p.add(
        'sharedSubscriptions',
        got ? 'a message reached a $share subscription' : 'nothing reached a $share subscription',
      );
    } finally {
      await c.close();
    }
  });

  await p.step('subscriptionIdentifiers', async () => {
    if (p.main !== 5) {
      p.found.subscriptionIdentifiers = 'MQTT 5.0 only';
      return;
    }
    if (p.report.subscriptionIdentifiers === false) return;
    const c = await p.open(5);
    try {
      await c.client.subscribe([{ topicFilter: `${p.prefix}/id`, qos: 0 }], { subscriptionIdentifiers: [7] });
      await c.client.publish(`${p.prefix}/id`, 'i', { qos: 0 });
      const got = await c.waitFor((m) => m.topic === `${p.prefix}/id`, p.bounded(ROUND_TRIP_MS));
      p.report.subscriptionIdentifiers = got?.properties?.subscriptionIdentifiers?.includes(7) ?? false;
      p.add(
        'subscriptionIdentifiers',
        p.report.subscriptionIdentifiers
          ? 'a delivery carried identifier 7'
          : 'a delivery came without its identifier',
      );
    } finally {
      await c.close();
    }
  });

  await p.step('sys', async () => {
    const c = await p.open(p.main);
    try {
      await c.client.subscribe([{ topicFilter: '$SYS/#', qos: 0 }]);
      const got = await c.waitFor((m) => m.topic.startsWith('$SYS/'), p.bounded(2_500));
      p.report.sys = got !== undefined;
      p.found.sys = got ? `$SYS/# delivered ${got.topic}` : 'nothing on $SYS/# within 2.5 s';
    } finally {
      await c.close();
    }
  });

  await p.step('will', async () => {
    const topic = `${p.prefix}/will`;
    const watcher = await p.open(p.main);
    try {
      await watcher.client.subscribe([{ topicFilter: topic, qos: 0 }]);
      const dying = await p.open(p.main, {
        will: { topic, payload: Buffer.from('gone'), qos: 0, retain: false },
      });
      dying.kill();
      const got = await watcher.waitFor((m) => m.topic === topic, p.bounded(3_000));
      p.report.will = got !== undefined;
      p.found.will = got
        ? 'a will arrived when its client dropped the connection'
        : 'no will within 3 s of the connection dropping';
    } finally {
      await watcher.close();
    }
  });

  await p.step('willDelay', async () => {
    if (p.main !== 5) {
      p.found.willDelay = 'MQTT 5.0 only';
      return;
    }
    const topic = `${p.prefix}/will-delay`;
    const watcher = await p.open(5);
    const clientId = `${p.idBase}-wd`;
    try {
      await watcher.client.subscribe([{ topicFilter: topic, qos: 0 }]);
      const dying = await p.open(5, {
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
      p.cleanup(5, { clientId, sessionExpiry: 0 });
      const dropped = Date.now();
      dying.kill();
      const got = await watcher.waitFor((m) => m.topic === topic, p.bounded(3_500));
      const after = Date.now() - dropped;
      p.report.willDelay = got !== undefined && after >= 800;
      p.found.willDelay = got
        ? `a will with a 1 s delay arrived after ${(after / 1000).toFixed(1)} s`
        : 'a will with a 1 s delay did not arrive within 3.5 s';
    } finally {
      await watcher.close();
    }
  });

  await p.step('sessionExpiry', async () => {
    const topic = `${p.prefix}/queue`;
    const clientId = `${p.idBase}-s`;
    const kept = p.main === 5 ? { clean: false, sessionExpiry: 30 } : { clean: false };
    const first = await p.open(p.main, { clientId, ...kept });
    p.cleanup(p.main, { clientId, sessionExpiry: 0 });
    const granted = first.client.connack?.properties?.sessionExpiryInterval;
    await first.client.subscribe([{ topicFilter: topic, qos: p.qos1() }]);
    await first.close();
    const pub = await p.open(p.main);
    await pub.client.publish(topic, 'queued', { qos: p.qos1() });
    await pub.close();
    const again = await p.open(p.main, { clientId, ...kept });
    try {
      p.report.sessionExpiry = again.client.connack?.sessionPresent ?? false;
      const got = await again.waitFor((m) => m.topic === topic, p.bounded(ROUND_TRIP_MS));
      p.report.offlineQueue = got !== undefined;
      p.found.sessionExpiry = `${p.report.sessionExpiry ? 'session present' : 'no session'} on reconnecting${
        p.main === 5
          ? ` with a 30 s expiry${granted !== undefined ? ` (CONNACK cut it to ${granted} s)` : ''}`
          : ' without clean session'
      }`;
      p.found.offlineQueue = got
        ? `a QoS ${p.qos1()} message sent while offline was delivered on reconnecting`
        : `a QoS ${p.qos1()} message sent while offline was not delivered`;
    } finally {
      await again.close();
    }
  });
}
