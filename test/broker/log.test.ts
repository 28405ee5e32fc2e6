import { readFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { BrokerLog, strftime } from '../../src/broker/log.js';
import { defaultBrokerConfig } from '../../src/config/broker-config.js';
import { ROOT, tempDir } from '../helpers/processes.js';

describe('BrokerLog', () => {
  it('writes mosquitto-style lines with a unix timestamp to a log file, only for enabled types', () => {
    const file = path.join(tempDir('mqx-log-'), 'm.log');
    const log = new BrokerLog({
      ...defaultBrokerConfig().log,
      destinations: [{ kind: 'file', path: file }],
      types: ['error', 'notice'],
    });
    log.notice('hello');
    log.info('not enabled');
    log.error('bad');
    log.close();
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^\d{10}: hello$/);
    expect(lines[1]).toMatch(/^\d{10}: bad$/);
  });

  it('log_timestamp false and a log_timestamp_format are honoured', () => {
    const file = path.join(tempDir('mqx-log-'), 'm.log');
    const settings = { ...defaultBrokerConfig().log, destinations: [{ kind: 'file' as const, path: file }] };
    const plain = new BrokerLog({ ...settings, timestamp: false });
    plain.notice('no stamp');
    plain.close();
    const formatted = new BrokerLog({ ...settings, timestampFormat: '%Y-%m-%dT%H:%M:%S' });
    formatted.notice('stamped');
    formatted.close();
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    expect(lines[0]).toBe('no stamp');
    expect(lines[1]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d: stamped$/);
  });

  it('log_dest topic hands lines to $SYS/broker/log/<type letter>', () => {
    const log = new BrokerLog({ ...defaultBrokerConfig().log, destinations: [{ kind: 'topic' }] });
    const seen: Array<[string, string]> = [];
    log.topicSink = (topic, line) => seen.push([topic, line]);
    log.notice('n');
    log.error('e');
    expect(seen).toEqual([
      ['$SYS/broker/log/N', 'n'],
      ['$SYS/broker/log/E', 'e'],
    ]);
  });

  it('strftime covers the usual specifiers', () => {
    const d = new Date(2026, 0, 2, 3, 4, 5);
    expect(strftime('%Y-%m-%d %H:%M:%S %F %T %% %j', d)).toBe(
      '2026-01-02 03:04:05 2026-01-02 03:04:05 % 002',
    );
  });
});

describe('a log with nowhere to write', () => {
  it('enables no type, so the broker formats no line', () => {
    const log = new BrokerLog({ ...defaultBrokerConfig().log, destinations: [{ kind: 'none' }] });
    expect(log.isEnabled('notice')).toBe(false);
    expect(log.isEnabled('debug')).toBe(false);
    const verbose = new BrokerLog({
      ...defaultBrokerConfig().log,
      destinations: [{ kind: 'none' }],
      verbose: true,
    });
    expect(verbose.isEnabled('debug')).toBe(true);
  });
});

describe('several brokers appending to one log file', () => {
  it('interleave by whole lines (built dist/ needed)', async () => {
    const file = path.join(tempDir('mqx-log-'), 'shared.log');
    const lines = 3000;
    const writers = [1, 2, 3, 4];
    // Separate processes, as the course's brokers are: each opens the file itself for appending.
    const script = `
      const { BrokerLog } = await import(${JSON.stringify(path.join(ROOT, 'dist/src/broker/log.js'))});
      const log = new BrokerLog({ destinations: [{ kind: 'file', path: process.argv[1] }], types: ['notice'],
        connectionMessages: true, timestamp: true, verbose: false });
      for (let i = 0; i < ${lines}; i++) log.notice('writer-' + process.argv[2] + ' line-' + i + ' ' + 'x'.repeat(300));
      log.close();`;
    await Promise.all(
      writers.map((w) => execa('node', ['--input-type=module', '-e', script, file, String(w)])),
    );
    const got = readFileSync(file, 'utf8').split('\n');
    expect(got.pop()).toBe('');
    const torn = got.filter((l) => !/^\d{10}: writer-\d line-\d+ x{300}$/.test(l));
    expect(torn).toEqual([]);
    for (const w of writers) {
      const mine = got
        .filter((l) => l.includes(` writer-${w} `))
        .map((l) => Number(/line-(\d+)/.exec(l)![1]));
      expect(mine).toEqual(Array.from({ length: lines }, (_, i) => i));
    }
  });
});

describe('log_format json', () => {
  it('writes one JSON object a line, with the event and fields of a known message', () => {
    const dir = tempDir('mqx-log-json-');
    const file = path.join(dir, 'broker.log');
    const log = new BrokerLog({
      ...defaultBrokerConfig().log,
      destinations: [{ kind: 'file', path: file }],
      format: 'json',
    });
    log.notice("New client connected from 127.0.0.1:5000 as sensor-1 (p5, c1, k60, u'dev').");
    log.warning('Something "quoted" happened');
    log.close();
    const [connected, other] = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(connected).toMatchObject({
      level: 'notice',
      event: 'client_connected',
      address: '127.0.0.1',
      port: 5000,
      client: 'sensor-1',
      protocol: 'p5',
      clean: 1,
      keepalive: 60,
    });
    expect(Date.parse(connected.time)).toBeGreaterThan(0);
    expect(other).toMatchObject({ level: 'warning', event: 'log', message: 'Something "quoted" happened' });
  });
});
