import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { BrokerConfig } from '../../src/config/broker-config.js';
import { formatEffectiveConfig } from '../../src/config/describe.js';
import { parseMosquittoConf } from '../../src/config/mosquitto-conf.js';
import { confFile } from './helpers.js';

/** The config without where it came from, which a round trip necessarily changes. */
function withoutOrigins(cfg: BrokerConfig): unknown {
  return JSON.parse(JSON.stringify({ ...cfg, sources: [] }, (k, v) => (k === 'origin' ? undefined : v)));
}

describe('formatEffectiveConfig', () => {
  it('masks every secret', () => {
    const cfg = parseMosquittoConf(
      confFile(
        'listener 8883',
        'certfile /c',
        'keyfile /k',
        `keyfile_password \${K}`,
        'connection b',
        'address h',
        'topic #',
        'remote_username u',
        `remote_password \${P}`,
        'local_username l',
        'local_password literal-secret',
      ),
      { env: { K: 'key-secret', P: 'env-secret' } },
    );
    const text = formatEffectiveConfig(cfg);
    for (const secret of ['key-secret', 'env-secret', 'literal-secret']) expect(text).not.toContain(secret);
    expect(text).toContain('remote_password ********');
    expect(text).toContain('local_password ********');
    expect(text).toContain('keyfile_password ********');
  });

  it('prints mosquitto lines that parse back to the same configuration', () => {
    const original = parseMosquittoConf(
      confFile(
        'per_listener_settings true',
        'allow_zero_length_clientid false',
        'max_queued_messages 10',
        'persistent_client_expiration 3d',
        'persistence true',
        'persistence_location /var/lib/mqx/',
        'log_dest file /var/log/m.log',
        'log_dest topic',
        'log_type all',
        'log_timestamp_format %H:%M',
        'port 1883',
        'allow_anonymous true',
        'listener 8883 0.0.0.0',
        'certfile /c',
        'keyfile /k',
        'cafile /ca',
        'require_certificate true',
        'password_file /p',
        'listener 0 /run/m.sock',
        'listener 9001',
        'protocol websockets',
        'mount_point x/',
        'max_connections 5',
        'listener 8080 127.0.0.1',
        'protocol http_api',
        'http_admin ops',
        'log_format json',
        'connection b',
        'addresses h1:1 h2',
        'topic "" both 2 l/ r/',
        'topic a/# in 1',
        'remote_username u',
        'bridge_cafile /ca',
        'bridge_insecure true',
        'restart_timeout 7',
        'start_type once',
      ),
    );
    const text = formatEffectiveConfig(original);
    const again = confFile(text);
    writeFileSync(again, text);
    expect(withoutOrigins(parseMosquittoConf(again))).toEqual(withoutOrigins(original));
  });

  it('shows that allow_anonymous is left to the default when unset', () => {
    const text = formatEffectiveConfig(parseMosquittoConf(confFile('sys_interval 5')));
    expect(text).toMatch(/^# allow_anonymous not set/m);
    expect(text).toMatch(/^listener 1883 127\.0\.0\.1$/m);
  });
});
