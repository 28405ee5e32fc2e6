import { describe, expect, it, vi } from 'vitest';
import { parseMosquittoConf } from '../../src/config/mosquitto-conf.js';
import { confFile } from './helpers.js';

/** Parses lines, collecting warnings instead of printing them. */
function parse(lines: string[]) {
  const warnings: string[] = [];
  const file = confFile(...lines);
  const cfg = parseMosquittoConf(file, { onWarning: (w) => warnings.push(w) });
  return { cfg, warnings, file };
}

describe('trailing words after a value, ignored as mosquitto 2.0 ignores them', () => {
  it('a number, boolean or keyword is its first word; one warning names the line and the rest', () => {
    const { cfg, warnings, file } = parse([
      'allow_anonymous true no authentication',
      'port 1883 Listen port 1883',
      'max_connections 10 per listener',
      'log_dest stdout # print log in console',
      'persistent_client_expiration 1d for laptops',
    ]);
    expect(cfg.security.allowAnonymous).toBe(true);
    expect(cfg.listeners).toMatchObject([{ port: 1883, maxConnections: 10 }]);
    expect(cfg.log.destinations).toEqual([{ kind: 'stdout' }]);
    expect(cfg.persistentClientExpiration).toBe(86400);
    expect(warnings).toEqual([
      `${file}:1: 'allow_anonymous true': ignoring the trailing words 'no authentication', as mosquitto does (it reads one value; comments must start a line)`,
      `${file}:2: 'port 1883': ignoring the trailing words 'Listen port 1883', as mosquitto does (it reads one value; comments must start a line)`,
      `${file}:3: 'max_connections 10': ignoring the trailing words 'per listener', as mosquitto does (it reads one value; comments must start a line)`,
      `${file}:4: 'log_dest stdout': ignoring the trailing words '# print log in console', as mosquitto does (it reads one value; comments must start a line)`,
      `${file}:5: 'persistent_client_expiration 1d': ignoring the trailing words 'for laptops', as mosquitto does (it reads one value; comments must start a line)`,
    ]);
    expect(cfg.warnings).toEqual(warnings);
  });

  it("'connection bridge central' names the bridge 'bridge', as mosquitto does, and says why", () => {
    const { cfg, warnings, file } = parse([
      'connection bridge central',
      'topic srv/# out',
      'address localhost:1884',
    ]);
    expect(cfg.bridges.map((b) => b.name)).toEqual(['bridge']);
    expect(warnings).toEqual([
      `${file}:1: 'connection bridge central': bridge names cannot contain spaces; mosquitto uses the first word, so this bridge is named 'bridge' (ignoring 'central')`,
    ]);
  });

  it('a value that is the rest of the line keeps its spaces and gives no warning', () => {
    const { cfg, warnings } = parse([
      'log_dest file /var/log/my broker.log',
      'auto_id_prefix auto id-',
      'connection b',
      'address h',
      'topic #',
      'remote_username site one',
    ]);
    expect(cfg.log.destinations).toEqual([{ kind: 'file', path: '/var/log/my broker.log' }]);
    expect(cfg.autoIdPrefix).toBe('auto id-');
    expect(cfg.bridges[0]!.remoteUsername).toBe('site one');
    expect(warnings).toEqual([]);
  });

  it('without onWarning, each warning goes to stderr once', () => {
    const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      parseMosquittoConf(confFile('port 1999 x'));
      expect(write.mock.calls).toEqual([
        [expect.stringMatching(/^mqx: warning: .*:1: 'port 1999': ignoring .* 'x'/)],
      ]);
    } finally {
      write.mockRestore();
    }
  });
});

describe('a second word where mosquitto reads the value to the end of the line', () => {
  it.each([
    ['bridge_protocol_version mqttv50 x', /'bridge_protocol_version' takes one value, got extra 'x'/],
    ['local_clientid a b', /'local_clientid' takes one value, got extra 'b'/],
    ['bind_address 127.0.0.1 here', /'bind_address' takes one value, got extra 'here'/],
  ])('%s stays an error: mosquitto would take both words as the value', (line, message) => {
    const lines = line.startsWith('bind') ? [line] : ['connection x', 'address h', 'topic #', line];
    expect(() => parse(lines)).toThrow(message);
  });
});
