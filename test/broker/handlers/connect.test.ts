import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type InProcessBroker, startBroker } from '../../helpers/broker.js';
import { RawClient } from '../../helpers/raw-client.js';

let b: InProcessBroker;
beforeAll(async () => {
  b = await startBroker();
});
afterAll(() => b.stop());

describe('CONNECT', () => {
  it('3.1.1 [MQTT-3.1.0-1] closes a connection whose first packet is not CONNECT', async () => {
    const c = await RawClient.open(b.port);
    c.send({ type: 'pingreq' });
    await c.expectClosed();
  });

  it('3.1.1 [MQTT-3.1.0-2] closes a connection that sends a second CONNECT', async () => {
    const c = await RawClient.connect(b.port, { clientId: 'twice' });
    c.send({
      type: 'connect',
      protocolName: 'MQTT',
      protocolVersion: 4,
      bridge: false,
      clean: true,
      keepalive: 60,
      clientId: 'twice',
    });
    await c.expectClosed();
  });

  it('3.1.1 [MQTT-3.1.2-2] answers an unsupported protocol level with CONNACK 0x01 and closes', async () => {
    const c = await RawClient.open(b.port);
    // CONNECT, protocol name MQTT, level 6.
    c.sendRaw([
      0x10, 0x0e, 0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x06, 0x02, 0x00, 0x3c, 0x00, 0x02, 0x61, 0x62,
    ]);
    const connack = await c.next('connack');
    expect(connack.reasonCode).toBe(0x01);
    await c.expectClosed();
  });

  it('5.0: a refused CONNACK carries a Reason String', async () => {
    const c = await RawClient.open(b.port, 5);
    c.send({
      type: 'connect',
      protocolName: 'MQTT',
      protocolVersion: 5,
      bridge: false,
      clean: true,
      keepalive: 60,
      clientId: 'x',
      properties: { authenticationMethod: 'SCRAM-SHA-1' },
    });
    const connack = await c.next('connack');
    expect(connack.reasonCode).toBe(0x8c);
    expect(connack.properties?.reasonString).toMatch(/authentication method/);
  });

  it('3.1.1 [MQTT-3.1.2-3] closes on a CONNECT with the reserved flag set', async () => {
    const c = await RawClient.open(b.port);
    c.sendRaw([
      0x10, 0x0e, 0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x04, 0x03, 0x00, 0x3c, 0x00, 0x02, 0x61, 0x62,
    ]);
    await c.expectClosed();
  });

  it('3.1.1 [MQTT-3.1.3-8] refuses an empty client id without clean session (3.1.1) with 0x02', async () => {
    const c = await RawClient.open(b.port);
    c.send({
      type: 'connect',
      protocolName: 'MQTT',
      protocolVersion: 4,
      bridge: false,
      clean: false,
      keepalive: 60,
      clientId: '',
    });
    expect((await c.next('connack')).reasonCode).toBe(0x02);
    await c.expectClosed();
  });

  it('3.1.1 [MQTT-3.1.3-6] assigns an id to an empty client id with clean session (3.1.1)', async () => {
    const c = await RawClient.open(b.port);
    c.send({
      type: 'connect',
      protocolName: 'MQTT',
      protocolVersion: 4,
      bridge: false,
      clean: true,
      keepalive: 60,
      clientId: '',
    });
    expect((await c.next('connack')).reasonCode).toBe(0);
    c.end();
  });

  it('5.0 [MQTT-3.2.2-16] [MQTT-3.1.3-6] [MQTT-3.1.3-7] tells a 5.0 client the id it assigned (Assigned Client Identifier)', async () => {
    const c = await RawClient.open(b.port, 5);
    c.send({
      type: 'connect',
      protocolName: 'MQTT',
      protocolVersion: 5,
      bridge: false,
      clean: true,
      keepalive: 60,
      clientId: '',
    });
    const connack = await c.next('connack');
    expect(connack.reasonCode).toBe(0);
    expect(connack.properties?.assignedClientIdentifier).toMatch(/^auto-/);
    c.end();
  });

  it('refuses an empty client id for MQTT 3.1 with 0x02', async () => {
    const c = await RawClient.open(b.port, 3);
    c.send({
      type: 'connect',
      protocolName: 'MQIsdp',
      protocolVersion: 3,
      bridge: false,
      clean: true,
      keepalive: 60,
      clientId: '',
    });
    expect((await c.next('connack')).reasonCode).toBe(0x02);
  });

  it('5.0 [MQTT-3.1.4-3] closes the older connection of a client id taken over; 5.0 is told 0x8E', async () => {
    const first = await RawClient.connect(b.port, { clientId: 'dup-id', protocolVersion: 5 });
    const second = await RawClient.connect(b.port, { clientId: 'dup-id', protocolVersion: 5 });
    const disconnect = await first.next('disconnect');
    expect(disconnect.reasonCode).toBe(0x8e);
    expect(disconnect.properties?.reasonString).toBe('session taken over');
    await first.expectClosed();
    second.send({ type: 'pingreq' });
    await second.next('pingresp');
    second.end();
  });

  it('3.1.1 [MQTT-3.2.2-1] [MQTT-3.2.2-2] session present is 0 with clean session, 1 when a session was kept', async () => {
    const a = await RawClient.connect(b.port, { clientId: 'sp-1', clean: false });
    a.send({ type: 'disconnect' });
    await a.expectClosed();
    const again = await RawClient.open(b.port);
    again.send({
      type: 'connect',
      protocolName: 'MQTT',
      protocolVersion: 4,
      bridge: false,
      clean: false,
      keepalive: 60,
      clientId: 'sp-1',
    });
    expect((await again.next('connack')).sessionPresent).toBe(true);
    again.send({ type: 'disconnect' });
    await again.expectClosed();
    const clean = await RawClient.open(b.port);
    clean.send({
      type: 'connect',
      protocolName: 'MQTT',
      protocolVersion: 4,
      bridge: false,
      clean: true,
      keepalive: 60,
      clientId: 'sp-1',
    });
    expect((await clean.next('connack')).sessionPresent).toBe(false);
    clean.end();
  });

  it('3.1.1 [MQTT-3.1.2-24] disconnects a client silent for 1.5 times its keep alive', async () => {
    const c = await RawClient.connect(b.port, { keepalive: 1 });
    const started = Date.now();
    await c.expectClosed(5_000);
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(1400);
  });

  it('3.1.1 [MQTT-3.1.2-24] keeps a client that pings within its keep alive', async () => {
    const c = await RawClient.connect(b.port, { keepalive: 1 });
    for (let i = 0; i < 4; i++) {
      await new Promise((r) => setTimeout(r, 600));
      c.send({ type: 'pingreq' });
      await c.next('pingresp');
    }
    expect(c.isClosed).toBe(false);
    c.end();
  });

  it('3.1.1 [MQTT-3.12.4-1] answers PINGREQ with PINGRESP', async () => {
    const c = await RawClient.connect(b.port);
    c.send({ type: 'pingreq' });
    await c.next('pingresp');
    c.end();
  });

  it('3.1.1 [MQTT-4.8.0-1] a malformed packet closes only its own connection', async () => {
    const bystander = await RawClient.connect(b.port, { clientId: 'bystander' });
    const bad = await RawClient.connect(b.port);
    bad.sendRaw([0x30, 0xff, 0xff, 0xff, 0xff, 0x01]);
    await bad.expectClosed();
    bystander.send({ type: 'pingreq' });
    await bystander.next('pingresp');
    bystander.end();
  });

  it('5.0 [MQTT-3.2.2-17] gives 5.0 clients the broker limits in CONNACK', async () => {
    const c2 = await RawClient.open(b.port, 5);
    c2.send({
      type: 'connect',
      protocolName: 'MQTT',
      protocolVersion: 5,
      bridge: false,
      clean: true,
      keepalive: 60,
      clientId: 'limits',
    });
    const connack = await c2.next('connack');
    expect(connack.properties?.receiveMaximum).toBe(20);
    expect(connack.properties?.topicAliasMaximum).toBe(10);
    c2.end();
  });
});

describe('max_keepalive', () => {
  let limited: InProcessBroker;
  beforeAll(async () => {
    limited = await startBroker({ maxKeepalive: 30 });
  });
  afterAll(() => limited.stop());

  it('5.0 [MQTT-3.2.2-21] tells a 5.0 client the Server Keep Alive it must use', async () => {
    const c = await RawClient.open(limited.port, 5);
    c.send({
      type: 'connect',
      protocolName: 'MQTT',
      protocolVersion: 5,
      bridge: false,
      clean: true,
      keepalive: 120,
      clientId: 'ka5',
    });
    const connack = await c.next('connack');
    expect(connack.reasonCode).toBe(0);
    expect(connack.properties?.serverKeepAlive).toBe(30);
    c.end();
  });

  it('refuses a 3.1.1 keep alive above max_keepalive, as mosquitto does', async () => {
    const c = await RawClient.open(limited.port, 4);
    c.send({
      type: 'connect',
      protocolName: 'MQTT',
      protocolVersion: 4,
      bridge: false,
      clean: true,
      keepalive: 120,
      clientId: 'ka4',
    });
    expect((await c.next('connack')).reasonCode).toBe(0x02);
  });
});

describe('request / response information', () => {
  it('5.0 [MQTT-3.1.2-28] sends Response Information only when the client asks for it', async () => {
    const asked = await RawClient.open(b.port, 5);
    asked.send({
      type: 'connect',
      protocolName: 'MQTT',
      protocolVersion: 5,
      bridge: false,
      clean: true,
      keepalive: 60,
      clientId: 'rri-1',
      properties: { requestResponseInformation: 1 },
    });
    expect((await asked.next('connack')).properties?.responseInformation).toBe('mqx/response/rri-1');
    asked.end();
    const silent = await RawClient.open(b.port, 5);
    silent.send({
      type: 'connect',
      protocolName: 'MQTT',
      protocolVersion: 5,
      bridge: false,
      clean: true,
      keepalive: 60,
      clientId: 'rri-2',
    });
    expect((await silent.next('connack')).properties?.responseInformation).toBeUndefined();
    silent.end();
  });

  it('closes a socket that never sends CONNECT after about ten seconds', async () => {
    const c = await RawClient.open(b.port);
    const started = Date.now();
    await c.expectClosed(15_000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(9_000);
  }, 20_000);
});
