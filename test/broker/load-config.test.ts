import { describe, expect, it } from 'vitest';
import { loadBrokerConfig, parseHttpAddress } from '../../src/broker/load-config.js';
import { UsageError } from '../../src/errors.js';

describe('--http [HOST:]PORT', () => {
  it('binds loopback without a host', () => {
    expect(parseHttpAddress('8080')).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(parseHttpAddress('0.0.0.0:9000')).toEqual({ host: '0.0.0.0', port: 9000 });
    expect(parseHttpAddress('[::1]:9000')).toEqual({ host: '::1', port: 9000 });
  });

  it('refuses anything else as a usage error', () => {
    for (const bad of ['', 'http', ':80', '1.2.3.4:', '70000', '::1:80'])
      expect(() => parseHttpAddress(bad), bad).toThrow(UsageError);
  });

  it('adds an http_api listener and the log format to the configuration', async () => {
    const config = await loadBrokerConfig({ ports: [0], verbose: false, http: '0', logFormat: 'json' });
    expect(config.http?.listeners).toEqual([
      { host: '127.0.0.1', port: 0, protocol: 'http_api', maxConnections: 0 },
    ]);
    expect(config.listeners.every((l) => l.protocol === 'mqtt')).toBe(true);
    expect(config.log.format).toBe('json');
  });
});
