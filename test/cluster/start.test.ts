import { afterAll, describe, expect, it } from 'vitest';
import { peers } from '../helpers/peers.js';
import { freePort } from '../helpers/ports.js';
import { type RunningBroker, runMqx, startMqxBroker } from '../helpers/processes.js';
import { type RunningRedis, startRedis } from '../helpers/redis.js';

describe.skipIf(!peers.redis())('joining a cluster', () => {
  const started: Array<RunningBroker | RunningRedis> = [];
  afterAll(() => Promise.all(started.map((s) => s.stop())));

  it('an unreachable Redis stops start-up with exit code 3 and one clear line', async () => {
    const port = await freePort();
    const r = await runMqx(['broker', '-p', '0', '--cluster', `redis://127.0.0.1:${port}`]);
    expect(r.exitCode).toBe(3);
    expect(Buffer.from(r.stderr).toString()).toContain(
      `mqx: cannot reach the cluster's Redis at redis://127.0.0.1:${port}: connect ECONNREFUSED`,
    );
  });

  it('takes the Redis password from MQX_CLUSTER_PASSWORD, and refuses to start without it', async () => {
    const redis = await startRedis(['--requirepass', 'pw-from-env']);
    started.push(redis);
    const without = await runMqx(['broker', '-p', '0', '--cluster', redis.url]);
    expect(without.exitCode).toBe(3);
    expect(Buffer.from(without.stderr).toString()).toMatch(/NOAUTH|WRONGPASS|AUTH/);
    const node = await startMqxBroker(['--cluster', redis.url], { MQX_CLUSTER_PASSWORD: 'pw-from-env' });
    started.push(node);
    expect(node.log.join('\n')).toMatch(/Cluster: node \S+ joined through redis:\/\/127\.0\.0\.1:\d+\./);
  });
});
