import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { bridgeTo } from '../bridge/helpers.js';
import { type AdminBroker, call, startAdminBroker } from '../helpers/admin.js';
import { type InProcessBroker, startBroker } from '../helpers/broker.js';

describe('bridges in the metrics and the API', () => {
  let remote: InProcessBroker;
  let local: AdminBroker;
  let remoteUp = true;
  beforeAll(async () => {
    remote = await startBroker();
    local = await startAdminBroker({ bridges: [bridgeTo('central', remote.port, ['out/# out 1'])] });
  });
  afterAll(async () => {
    await local?.stop();
    if (remoteUp) await remote?.stop();
  });

  it('shows the bridge up, and counts what it forwarded', async () => {
    await vi.waitFor(
      async () => expect((await call(local.url, '/api/v1/bridges')).json[0]?.state).toBe('up'),
      {
        timeout: 5_000,
      },
    );
    const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${local.port}`, { reconnectPeriod: 0 });
    for (let i = 0; i < 3; i++) await c.publishAsync('out/x', String(i), { qos: 1 });
    await c.endAsync();
    await vi.waitFor(async () => {
      const metrics = (await call(local.url, '/metrics')).text;
      expect(metrics).toContain('mqx_bridge_up{bridge="central"} 1');
      expect(metrics).toContain('mqx_bridge_messages_total{bridge="central",direction="out"} 3');
      expect(metrics).toContain('mqx_bridge_messages_total{bridge="central",direction="in"} 0');
    });
    const [bridge] = (await call(local.url, '/api/v1/bridges')).json;
    expect(bridge).toMatchObject({
      name: 'central',
      addresses: [`127.0.0.1:${remote.port}`],
      messages_out: 3,
      messages_in: 0,
    });
  });

  it('shows the bridge down when its remote goes away', async () => {
    await remote.stop();
    remoteUp = false;
    await vi.waitFor(
      async () =>
        expect((await call(local.url, '/metrics')).text).toContain('mqx_bridge_up{bridge="central"} 0'),
      {
        timeout: 5_000,
      },
    );
  });
});
