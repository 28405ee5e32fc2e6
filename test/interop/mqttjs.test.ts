import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningBroker, startMqxBroker } from '../helpers/processes.js';

let broker: RunningBroker;
beforeAll(async () => {
  broker = await startMqxBroker();
});
afterAll(() => broker.stop());

function connect(version: 4 | 5, opts: mqtt.IClientOptions = {}): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const c = mqtt.connect({
      host: '127.0.0.1',
      port: broker.port,
      protocolVersion: version,
      reconnectPeriod: 0,
      ...opts,
    });
    c.once('connect', () => resolve(c));
    c.once('error', reject);
  });
}

const end = (...clients: MqttClient[]) => Promise.all(clients.map((c) => c.endAsync()));

function collect(
  c: MqttClient,
  n: number,
): Promise<Array<{ topic: string; payload: string; packet: mqtt.IPublishPacket }>> {
  const got: Array<{ topic: string; payload: string; packet: mqtt.IPublishPacket }> = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`got ${got.length} of ${n}`)), 10_000);
    c.on('message', (topic, payload, packet) => {
      got.push({ topic, payload: payload.toString(), packet });
      if (got.length === n) {
        clearTimeout(timer);
        resolve(got);
      }
    });
  });
}

describe('MQTT.js against mqx broker', () => {
  for (const version of [4, 5] as const) {
    for (const qos of [0, 1, 2] as const) {
      it(`protocol ${version}, QoS ${qos}: 200 messages in order`, async () => {
        const s = await connect(version);
        await s.subscribeAsync(`js/${version}/${qos}`, { qos });
        const done = collect(s, 200);
        const p = await connect(version);
        for (let i = 0; i < 200; i++) p.publish(`js/${version}/${qos}`, String(i), { qos });
        const got = await done;
        expect(got.map((m) => m.payload)).toEqual(Array.from({ length: 200 }, (_, i) => String(i)));
        expect(got.every((m) => m.packet.qos === qos)).toBe(true);
        await end(s, p);
      });
    }
  }

  it('5.0: request/response with response topic and correlation data', async () => {
    const responder = await connect(5);
    await responder.subscribeAsync('js/rpc/req');
    responder.on('message', (_t, payload, packet) => {
      responder.publish(packet.properties!.responseTopic!, `re:${payload}`, {
        properties: { correlationData: packet.properties!.correlationData },
      });
    });
    const requester = await connect(5);
    await requester.subscribeAsync('js/rpc/resp/1');
    const reply = collect(requester, 1);
    requester.publish('js/rpc/req', 'ping', {
      properties: { responseTopic: 'js/rpc/resp/1', correlationData: Buffer.from('abc') },
    });
    const [m] = await reply;
    expect(m!.payload).toBe('re:ping');
    expect(Buffer.from(m!.packet.properties!.correlationData!).toString()).toBe('abc');
    await end(responder, requester);
  });

  it('5.0: message expiry drops a queued message that waited too long', async () => {
    const s = await connect(5, {
      clientId: 'js-expiry',
      clean: false,
      properties: { sessionExpiryInterval: 60 },
    });
    await s.subscribeAsync('js/expiry', { qos: 1 });
    await s.endAsync();
    const p = await connect(5);
    await p.publishAsync('js/expiry', 'short', { qos: 1, properties: { messageExpiryInterval: 1 } });
    await p.publishAsync('js/expiry', 'long', { qos: 1, properties: { messageExpiryInterval: 100 } });
    await new Promise((r) => setTimeout(r, 1_600));
    const back = mqtt.connect({
      host: '127.0.0.1',
      port: broker.port,
      protocolVersion: 5,
      clientId: 'js-expiry',
      clean: false,
      reconnectPeriod: 0,
      properties: { sessionExpiryInterval: 60 },
    });
    const [m] = await collect(back, 1);
    expect(m!.payload).toBe('long');
    expect(m!.packet.properties?.messageExpiryInterval).toBeLessThanOrEqual(100);
    expect(m!.packet.properties?.messageExpiryInterval).toBeGreaterThan(90);
    await end(back, p);
  });

  it('5.0: shared subscription splits the stream among members', async () => {
    const a = await connect(5);
    const b = await connect(5);
    await a.subscribeAsync('$share/grp/js/shared/#', { qos: 1 });
    await b.subscribeAsync('$share/grp/js/shared/#', { qos: 1 });
    let na = 0;
    let nb = 0;
    a.on('message', () => na++);
    b.on('message', () => nb++);
    const p = await connect(5);
    for (let i = 0; i < 100; i++) await p.publishAsync(`js/shared/${i}`, 'x', { qos: 1 });
    await new Promise((r) => setTimeout(r, 300));
    expect(na + nb).toBe(100);
    expect(na).toBeGreaterThan(0);
    expect(nb).toBeGreaterThan(0);
    await end(a, b, p);
  });

  it('5.0: a SUBSCRIBE to an invalid filter is refused in the SUBACK', async () => {
    const c = await connect(5);
    const granted = await c.subscribeAsync('a/#/b').catch((e: Error) => e);
    expect(granted instanceof Error || (Array.isArray(granted) && (granted[0]!.qos as number) === 0x8f)).toBe(
      true,
    );
    await c.endAsync();
  });

  it('3.1.1: will message on an abrupt disconnect', async () => {
    const watcher = await connect(4);
    await watcher.subscribeAsync('js/will');
    const got = collect(watcher, 1);
    const dying = await connect(4, {
      will: { topic: 'js/will', payload: Buffer.from('bye'), qos: 1, retain: false },
    });
    dying.stream.destroy();
    const [m] = await got;
    expect(m!.payload).toBe('bye');
    await end(watcher);
  });
});
