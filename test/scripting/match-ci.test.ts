import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { peers } from '../helpers/peers.js';
import { MQX_BIN, ROOT, type RunningBroker, startMosquitto, startMqxBroker } from '../helpers/processes.js';

const BROKERS = [
  { name: 'mqx broker', enabled: true, start: () => startMqxBroker() },
  { name: 'mosquitto', enabled: peers.mosquitto(), start: () => startMosquitto() },
];

for (const b of BROKERS) {
  describe.runIf(b.enabled)(`test/scripting/match-ci.sh against ${b.name}`, () => {
    let broker: RunningBroker;
    beforeAll(async () => {
      broker = await b.start();
    });
    afterAll(() => broker?.stop());

    it('each kind of --match expression, -C, -W and usage errors, by exit code', async () => {
      const r = await execa('sh', [path.join(ROOT, 'test/scripting/match-ci.sh')], {
        reject: false,
        env: { MQX: `node ${MQX_BIN}`, PORT: String(broker.port), NO_COLOR: '1' },
        timeout: 90_000,
      });
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe('match-ci: ok');
      expect(r.exitCode).toBe(0);
    }, 100_000);
  });
}
