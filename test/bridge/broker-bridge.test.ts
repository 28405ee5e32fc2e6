import { hostname } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { type InProcessBroker, startBroker } from '../helpers/broker.js';
import { bridgeTo, connect, sleep, until } from './helpers.js';

const brokers: InProcessBroker[] = [];
const clients: Array<{ end(): Promise<void> }> = [];
async function broker(...args: Parameters<typeof startBroker>) {
  const b = await startBroker(...args);
  brokers.push(b);
  return b;
}
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.end().catch(() => undefined)));
  await Promise.all(brokers.splice(0).map((b) => b.stop()));
});

describe('in-broker bridge', () => {
  it('forwards out rules to the remote at min(rule, message) QoS', async () => {
    const central = await broker();
    const edge = await broker({ bridges: [bridgeTo('c', central.port, ['srv/# out 2'])] });
    const sub = await connect(central.port);
    clients.push(sub.client);
    await sub.client.subscribe([{ topicFilter: 'srv/#', qos: 2 }]);
    await until(() => edge.broker.sessions.get(`local.${hostname()}.c`)?.connected === true);
    const pub = await connect(edge.port);
    clients.push(pub.client);
    for (let i = 0; i < 20; i++) await pub.client.publish('srv/t', `m${i}`, { qos: 2 });
    await until(() => sub.received.length === 20);
    await sleep(100);
    expect(sub.received.map((p) => p.payload.toString())).toEqual(Array.from({ length: 20 }, (_, i) => `m${i}`));
    expect(sub.received.every((p) => p.qos === 2)).toBe(true);
  });
});
