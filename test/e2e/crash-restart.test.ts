import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from '../helpers/ports.js';
import { runMqx, startMqxBroker, tempDir } from '../helpers/processes.js';
import { RawClient } from '../helpers/raw-client.js';

/** The real binary on a store, started again on the same port after kill -9. */
async function persistentBroker(dir: string, port: number) {
  return startMqxBroker(['-p', String(port), '--persistence', dir]);
}

describe('mqx broker --persistence, killed and started again', () => {
  it('counts the time it was down against the expiry of a session that was connected', async () => {
    const dir = tempDir('mqx-crash-expiry-');
    const port = await freePort();
    let broker = await persistentBroker(dir, port);
    const c = await RawClient.connect(port, {
      clientId: 'short-lived',
      clean: false,
      protocolVersion: 5,
      properties: { sessionExpiryInterval: 2 },
    });
    const lasting = await RawClient.connect(port, { clientId: 'lasting', clean: false });
    broker.proc.kill('SIGKILL');
    await broker.proc.catch(() => undefined);
    c.end();
    lasting.end();
    await new Promise((r) => setTimeout(r, 2500));

    broker = await persistentBroker(dir, port);
    try {
      const again = await RawClient.open(port, 5);
      again.send({
        type: 'connect',
        protocolName: 'MQTT',
        protocolVersion: 5,
        bridge: false,
        clean: false,
        keepalive: 60,
        clientId: 'short-lived',
        properties: { sessionExpiryInterval: 2 },
      });
      expect((await again.next('connack')).sessionPresent).toBe(false);
      again.end();
      const other = await RawClient.open(port, 4);
      other.send({
        type: 'connect',
        protocolName: 'MQTT',
        protocolVersion: 4,
        bridge: false,
        clean: false,
        keepalive: 60,
        clientId: 'lasting',
      });
      expect((await other.next('connack')).sessionPresent).toBe(true);
      other.end();
    } finally {
      await broker.stop();
    }
  });

  it('refuses to start on a store another broker holds', async () => {
    const dir = tempDir('mqx-crash-lock-');
    const broker = await persistentBroker(dir, await freePort());
    try {
      const second = await runMqx(['broker', '-p', String(await freePort()), '--persistence', dir]);
      // A store another broker holds stops start-up as a configuration problem does (README: exit 2).
      expect(second.exitCode).toBe(2);
      expect(Buffer.from(second.stderr).toString()).toMatch(/mqx\.db is locked: another broker is using it/);
    } finally {
      await broker.stop();
    }
  });

  it("refuses mosquitto's persistence file instead of overwriting it", async () => {
    const dir = tempDir('mqx-crash-foreign-');
    const conf = path.join(dir, 'mqx.conf');
    writeFileSync(
      path.join(dir, 'mosquitto.db'),
      Buffer.concat([Buffer.from([0, 0xb5, 0]), Buffer.from('mosquitto db')]),
    );
    writeFileSync(conf, `persistence true\npersistence_location ${dir}/\npersistence_file mosquitto.db\n`);
    const r = await runMqx(['broker', '-c', conf, '-p', String(await freePort())]);
    expect(r.exitCode).toBe(1);
    expect(Buffer.from(r.stderr).toString()).toMatch(
      /mosquitto's own persistence file .*refusing to overwrite it/,
    );
  });
});
