import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXAMPLES } from '../../src/lab/examples.js';
import { loadLabFile, parseLab } from '../../src/lab/lab-file.js';
import { planLab } from '../../src/lab/plan.js';
import { COURSE, coursePrefix } from '../helpers/course.js';
import { tempDir } from '../helpers/processes.js';

const parse = (content: unknown) => parseLab(content, 'lab.yaml', '/labs');

describe('lab files', () => {
  it('reads the issue shape from YAML: names for brokers, several rules, defaults', async () => {
    const file = path.join(tempDir(), 'lab.yaml');
    writeFileSync(
      file,
      [
        'brokers:',
        '  central: { port: 1884 }',
        '  edge: { port: 1883 }',
        'bridges:',
        '  - { from: edge, to: central, topic: ["srv/# both 2", "cmd/# in 1 local/ remote/"] }',
        'publishers:',
        '  - { broker: edge, topic: srv/humidity, simulate: humidity, interval: 1, qos: 2 }',
        'subscribers:',
        '  - { broker: central, filter: "srv/#", qos: 2, expect: { topics: [srv/humidity], min: 3 } }',
      ].join('\n'),
    );
    const lab = await loadLabFile(file);
    expect(lab.bridges[0]).toMatchObject({ name: 'edge-central', protocol: 'mqttv50' });
    expect(lab.bridges[0]!.rules.map((r) => [r.direction, r.localPrefix, r.remotePrefix])).toEqual([
      ['both', '', ''],
      ['in', 'local/', 'remote/'],
    ]);
    expect(lab.publishers[0]).toMatchObject({ name: 'pub-1', format: 'text', simulate: 'humidity' });
    expect(lab.subscribers[0]!.expect).toEqual({ topics: ['srv/humidity'], min: 3 });
  });

  it('refuses, naming the key: unknown broker, unknown key, bad rule, a publisher with two sources', () => {
    expect(() =>
      parse({ brokers: { a: { port: 1 } }, bridges: [{ from: 'a', to: 'b', topic: '#' }] }),
    ).toThrow("lab.yaml: bridges[0].to: no broker named 'b' (brokers: a)");
    expect(() => parse({ brokers: { a: { prot: 1 } } })).toThrow(/brokers\.a\.prot: unknown key/);
    expect(() =>
      parse({
        brokers: { a: { port: 1 }, b: { port: 2 } },
        bridges: [{ from: 'a', to: 'b', topic: 'x in 3' }],
      }),
    ).toThrow(/bridges\[0\]\.topic\[0\].*QoS/);
    expect(() =>
      parse({
        brokers: { a: { port: 1 } },
        publishers: [{ broker: 'a', topic: 't', payload: 'x', simulate: 'humidity' }],
      }),
    ).toThrow("give either 'simulate' or 'payload'");
    expect(() => parse({ brokers: {} })).toThrow('a lab needs at least one broker');
  });

  it('--port-base shifts every port, and a config file bridge address follows the broker it names', async () => {
    const lab = parse({
      brokers: {
        central: { port: 1884 },
        bridge1: { config: path.join(COURSE, 'challenge-bridge1.conf') },
      },
    });
    const plan = await planLab(lab, { portBase: 30000, pathPrefix: coursePrefix() });
    expect(plan.brokers.map((b) => [b.name, b.port])).toEqual([
      ['central', 30001],
      ['bridge1', 30000],
    ]);
    const bridge = plan.brokers[1]!.config.bridges[0]!;
    expect(bridge.addresses).toEqual([{ host: 'localhost', port: 30001 }]);
    expect(plan.bridges).toMatchObject([
      { name: 'bridge1_central', from: 'bridge1', to: 'central', inLabFile: false },
    ]);
  });

  it('every built-in example is a valid lab', () => {
    for (const [name, e] of Object.entries(EXAMPLES)) expect(() => parseLab(e.lab, name, '/')).not.toThrow();
  });
});
