/** A real Prometheus server (Debian's) scrapes mqx, and its query API returns an mqx series. */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type AdminBroker, startAdminBroker } from '../helpers/admin.js';
import { PROMETHEUS, peers } from '../helpers/peers.js';
import { freePort, waitForPort } from '../helpers/ports.js';
import { tempDir } from '../helpers/processes.js';

describe.runIf(peers.prometheus())('a Prometheus server scraping mqx', () => {
  let b: AdminBroker;
  let prometheus: ReturnType<typeof execa> | undefined;
  let api: string;
  beforeAll(async () => {
    b = await startAdminBroker();
    const dir = tempDir('mqx-prometheus-');
    const target = new URL(b.url).host;
    writeFileSync(
      path.join(dir, 'prometheus.yml'),
      `global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: mqx\n    static_configs:\n      - targets: ['${target}']\n`,
    );
    const port = await freePort();
    api = `http://127.0.0.1:${port}`;
    prometheus = execa(
      PROMETHEUS,
      [
        `--config.file=${path.join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${path.join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { reject: false, stdin: 'ignore', buffer: false },
    );
    await waitForPort(port, 20_000);
  }, 30_000);
  afterAll(async () => {
    prometheus?.kill('SIGTERM');
    await prometheus?.catch(() => undefined);
    await b?.stop();
  });

  it('scrapes /metrics and answers a query for an mqx series', async () => {
    await vi.waitFor(
      async () => {
        const res = await fetch(
          `${api}/api/v1/query?query=${encodeURIComponent('mqx_messages_received_total')}`,
        );
        const body = (await res.json()) as {
          status: string;
          data: { result: { metric: Record<string, string>; value: [number, string] }[] };
        };
        expect(body.status).toBe('success');
        const qos = body.data.result.map((r) => r.metric.qos).sort();
        expect(qos).toEqual(['0', '1', '2']);
        expect(body.data.result[0]!.metric.job).toBe('mqx');
      },
      { timeout: 20_000, interval: 500 },
    );
    const up = await fetch(`${api}/api/v1/query?query=up`).then(
      (r) => r.json() as Promise<{ data: { result: { value: [number, string] }[] } }>,
    );
    expect(up.data.result[0]!.value[1]).toBe('1');
  }, 30_000);
});
