import { readdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { ownStoreName } from '../../../src/broker/store/choose.js';
import { defaultBrokerConfig } from '../../../src/config/broker-config.js';
import type { InProcessBroker } from '../../helpers/broker.js';
import { tempDir } from '../../helpers/processes.js';
import { RawClient } from '../../helpers/raw-client.js';
import { publish, startPersistent } from './helpers.js';

const running: InProcessBroker[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((b) => b.stop()));
});

const CENTRAL = '/srv/course/central.conf';
const BRIDGE = '/srv/course/bridge.conf';

/** A broker started from the config file `owner` (undefined: none), keeping its state in `dir`. */
async function start(dir: string, owner: string | undefined, file?: string): Promise<InProcessBroker> {
  const b = await startPersistent(dir, {
    sources: owner === undefined ? [] : [owner],
    persistence: { ...defaultBrokerConfig().persistence, enabled: true, location: dir, file },
  });
  running.push(b);
  return b;
}

async function stop(b: InProcessBroker): Promise<void> {
  running.splice(running.indexOf(b), 1);
  await b.stop();
}

async function retain(b: InProcessBroker, topic: string, text: string): Promise<void> {
  const c = await RawClient.connect(b.port);
  c.send(publish(topic, text, 1, 1, { retain: true }));
  await c.next('puback');
  c.end();
}

/** The store files in `dir` (not their -wal files). */
const stores = (dir: string) =>
  readdirSync(dir)
    .filter((n) => n.endsWith('.db'))
    .sort();

const retained = (b: InProcessBroker, topic: string) => b.broker.retained.get(topic)?.payload.toString();

function ownerOf(file: string): unknown {
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare("SELECT value FROM meta WHERE key = 'owner'").get() as { value: unknown } | undefined)
      ?.value;
  } finally {
    db.close();
  }
}

describe('several brokers sharing one persistence_location', () => {
  it('each starts with a file of its own and keeps its own state across restarts', async () => {
    const dir = tempDir();
    let central = await start(dir, CENTRAL);
    let bridge = await start(dir, BRIDGE);
    await retain(central, 'who', 'central');
    await retain(bridge, 'who', 'bridge');
    await Promise.all([stop(central), stop(bridge)]);
    expect(stores(dir)).toEqual([ownStoreName(BRIDGE), ownStoreName(CENTRAL)].sort());
    expect(ownerOf(path.join(dir, ownStoreName(CENTRAL)))).toBe(CENTRAL);

    // Started the other way round: each still finds its own.
    bridge = await start(dir, BRIDGE);
    central = await start(dir, CENTRAL);
    expect(retained(central, 'who')).toBe('central');
    expect(retained(bridge, 'who')).toBe('bridge');
  });

  it('the first config to start on an older mqx.db takes it over; a second config gets its own', async () => {
    const dir = tempDir();
    const old = await start(dir, undefined);
    await retain(old, 'kept', 'from before the upgrade');
    await stop(old);

    const central = await start(dir, CENTRAL);
    expect(retained(central, 'kept')).toBe('from before the upgrade');
    const bridge = await start(dir, BRIDGE);
    expect(retained(bridge, 'kept')).toBeUndefined();
    await Promise.all([stop(central), stop(bridge)]);
    expect(ownerOf(path.join(dir, 'mqx.db'))).toBe(CENTRAL);

    // Now recorded: the bridge starting first passes it over, the central broker finds it again.
    const bridgeAgain = await start(dir, BRIDGE);
    expect(retained(bridgeAgain, 'kept')).toBeUndefined();
    const centralAgain = await start(dir, CENTRAL);
    expect(retained(centralAgain, 'kept')).toBe('from before the upgrade');
    expect(stores(dir)).toEqual(['mqx.db', ownStoreName(BRIDGE)].sort());
  });

  it('refuses to run the same config twice on one folder, naming the file', async () => {
    const dir = tempDir();
    await start(dir, CENTRAL);
    await expect(start(dir, CENTRAL)).rejects.toThrow(
      `persistence file ${path.join(dir, ownStoreName(CENTRAL))} is locked: another broker runs the same config (${CENTRAL}); stop it first`,
    );
  });

  it('an explicit persistence_file is that file for every config, locked or not', async () => {
    const dir = tempDir();
    await start(dir, CENTRAL, 'shared.db');
    await expect(start(dir, BRIDGE, 'shared.db')).rejects.toThrow(
      `persistence file ${path.join(dir, 'shared.db')} is locked: another broker is using it`,
    );
    expect(stores(dir)).toEqual(['shared.db']);
  });

  it('names a file after the config and a hash of its full path', () => {
    expect(ownStoreName('/etc/mosquitto/central.conf')).toMatch(/^mqx-central-[0-9a-f]{8}\.db$/);
    expect(ownStoreName('/a/central.conf')).not.toBe(ownStoreName('/b/central.conf'));
    expect(ownStoreName('/x/my bridge (2).conf')).toMatch(/^mqx-my_bridge_2_-[0-9a-f]{8}\.db$/);
  });
});
