import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { peers } from '../helpers/peers.js';
import { type RunningBroker, startMqxBroker } from '../helpers/processes.js';

const VERSIONS = ['mqttv31', 'mqttv311', 'mqttv5'] as const;

describe.runIf(peers.mosquittoClients())('mosquitto_pub / mosquitto_sub against mqx broker', () => {
  let broker: RunningBroker;
  beforeAll(async () => {
    broker = await startMqxBroker();
  });
  afterAll(() => broker.stop());

  const sub = (args: string[]) =>
    execa('mosquitto_sub', ['-p', String(broker.port), ...args], { reject: false, timeout: 15_000 });
  const pub = (args: string[]) =>
    execa('mosquitto_pub', ['-p', String(broker.port), ...args], { reject: false, timeout: 15_000 });

  for (const version of VERSIONS) {
    for (const qos of [0, 1, 2]) {
      it(`-V ${version} -q ${qos}: 20 messages arrive in order`, async () => {
        const topic = `mc/${version}/${qos}`;
        const s = sub(['-V', version, '-q', String(qos), '-t', topic, '-C', '20', '-W', '10', '-v']);
        await new Promise((r) => setTimeout(r, 300));
        const lines = Array.from({ length: 20 }, (_, i) => `m${i}`).join('\n');
        const p = await execa(
          'mosquitto_pub',
          ['-p', String(broker.port), '-V', version, '-q', String(qos), '-t', topic, '-l'],
          { input: lines, reject: false },
        );
        expect(p.exitCode, p.stderr).toBe(0);
        const r = await s;
        expect(r.exitCode, r.stderr).toBe(0);
        expect(r.stdout.split('\n')).toEqual(Array.from({ length: 20 }, (_, i) => `${topic} m${i}`));
      });
    }
  }

  it('retained message reaches a later subscriber with the retained flag', async () => {
    await pub(['-t', 'mc/retained', '-m', 'kept', '-r', '-q', '1']);
    const r = await sub(['-t', 'mc/retained', '-C', '1', '-W', '5', '-F', '%r %t %p']);
    expect(r.stdout).toBe('1 mc/retained kept');
    await pub(['-t', 'mc/retained', '-r', '-n']);
    const gone = await sub(['-t', 'mc/retained', '-C', '1', '-W', '1']);
    expect(gone.exitCode).not.toBe(0);
  });

  for (const version of VERSIONS) {
    it(`-V ${version} -c: a persistent session gets what was published while it was away`, async () => {
      const id = `mc-persist-${version}`;
      const topic = `mc/persist/${version}`;
      const first = await sub(['-V', version, '-c', '-i', id, '-q', '1', '-t', topic, '-E']);
      expect(first.exitCode, first.stderr).toBe(0);
      for (let i = 0; i < 3; i++) await pub(['-V', version, '-q', '1', '-t', topic, '-m', `away${i}`]);
      const back = await sub(['-V', version, '-c', '-i', id, '-q', '1', '-t', topic, '-C', '3', '-W', '5']);
      expect(back.exitCode, back.stderr).toBe(0);
      expect(back.stdout.split('\n')).toEqual(['away0', 'away1', 'away2']);
    });
  }

  it('$SYS/broker/version is published', async () => {
    const r = await sub(['-t', '$SYS/broker/version', '-C', '1', '-W', '5']);
    expect(r.stdout).toMatch(/^mqx version \d+\.\d+\.\d+/);
  });

  it('-V mqttv5 with user properties and a content type carried through', async () => {
    const s = sub(['-V', 'mqttv5', '-t', 'mc/props', '-C', '1', '-W', '5', '-F', '%P']);
    await new Promise((r) => setTimeout(r, 300));
    await pub(['-V', 'mqttv5', '-t', 'mc/props', '-m', 'x', '-D', 'publish', 'user-property', 'k', 'v']);
    const r = await s;
    expect(r.stdout).toBe('k:v');
  });
});
