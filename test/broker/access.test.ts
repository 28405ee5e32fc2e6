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
