import { describe, expect, it } from 'vitest';
import { peers } from '../helpers/peers.js';
import { freePort } from '../helpers/ports.js';
import { tempDir } from '../helpers/processes.js';
import { type CrashReport, mosquittoTarget, mqxTarget, runCrashScenario } from './crash-scenario.js';

/*
 * kill -9 during a stream of QoS 1 and QoS 2 messages (test/e2e/crash-scenario.ts), at least five
 * kills. `npm test` sends 20,000 messages; the full 100,000 run is `npm run test:crash`,
 * which .ci/run also runs. MQX_CRASH_MESSAGES and MQX_CRASH_KILLS size other runs.
 */
const TOTAL = Number(process.env.MQX_CRASH_MESSAGES ?? 20_000);
const KILLS = Math.max(5, Number(process.env.MQX_CRASH_KILLS ?? 5));
const TIMEOUT_MS = 20 * 60_000;

function print(report: CrashReport): void {
  console.log(
    `[crash] ${report.broker}: ${report.acknowledged}/${report.messages} messages acknowledged, ${report.kills} kills, ${report.seconds.toFixed(1)} s, retained lost ${report.retainedLost}`,
  );
  for (const s of report.subscribers) {
    console.log(
      `[crash]   ${s.name}: lost ${s.missing} acknowledged, QoS 2 duplicates ${s.qos2Duplicates}, QoS 1 duplicates ${s.qos1Duplicates}, out of order ${s.outOfOrder}, sessions lost ${s.sessionsLost}`,
    );
  }
}

describe('kill -9 at random moments', () => {
  it(
    `mqx --persistence keeps every acknowledged message (${TOTAL} messages, ${KILLS} kills while publishing and one after)`,
    async () => {
      const port = await freePort();
      const report = await runCrashScenario(mqxTarget(port, tempDir('mqx-crash-')), port, TOTAL, KILLS, (l) =>
        console.log(`[crash] ${l}`),
      );
      print(report);
      expect(report.acknowledged).toBe(TOTAL);
      expect(report.retainedLost).toBe(0);
      for (const s of report.subscribers) {
        expect(s, s.name).toMatchObject({ missing: 0, qos2Duplicates: 0, outOfOrder: 0, sessionsLost: 0 });
      }
    },
    TIMEOUT_MS,
  );

  it.runIf(peers.mosquitto())(
    `mosquitto with persistence true: acknowledged messages lost are reported (${TOTAL} messages)`,
    async () => {
      const port = await freePort();
      const report = await runCrashScenario(
        mosquittoTarget(port, tempDir('mqx-crash-mosquitto-')),
        port,
        TOTAL,
        KILLS,
        (l) => console.log(`[crash] ${l}`),
      );
      print(report);
      expect(report.acknowledged).toBe(TOTAL);
    },
    TIMEOUT_MS,
  );
});
