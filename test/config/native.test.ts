import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultBrokerConfig, defaultListener } from '../../src/config/broker-config.js';
import { loadNativeConfig } from '../../src/config/native.js';
import { ConfigError } from '../../src/errors.js';
import { tempTree } from './helpers.js';

const YAML = `
broker:
  allowAnonymous: false
  passwordFile: passwd
  maxQueuedMessages: 500
  persistentClientExpiration: 1d
  listeners:
    - port: 1883
    - port: 8883
      host: 0.0.0.0
      tls:
        certfile: certs/server.crt
        keyfile: /etc/mqx/server.key
        keyPassword: \${MQX_TEST_KEY_PW}
    - port: 9001
      protocol: websockets
      httpPath: /mqtt
  persistence:
    enabled: true
    location: data
  log:
    destinations: [stdout, { file: /var/log/mqx.log }]
    types: [error, warning]
  bridges:
    - name: central
      addresses: ["localhost:1884"]
      topics:
        - pattern: srv/#
        - { pattern: "", direction: both, qos: 1, localPrefix: a/, remotePrefix: b/ }
      remoteUsername: bridge
      remotePassword: \${MQX_TEST_BRIDGE_PW}
      restartTimeout: [2, 60]
profiles:
  default:
    host: broker.example
    port: 8883
    password: \${MQX_TEST_BRIDGE_PW}
    protocol-version: "5"
  ci:
    url: mqtt://localhost
    connectTimeout: 5
`;

const ENV = { MQX_TEST_KEY_PW: 'kpw', MQX_TEST_BRIDGE_PW: 'bpw' };

async function loadError(dir: string, explicit?: string): Promise<string> {
  try {
    await loadNativeConfig(dir, explicit, { env: ENV });
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('loadNativeConfig', () => {
  it('finds mqx.config.yaml and maps the broker section onto BrokerConfig', async () => {
    const dir = tempTree({ 'mqx.config.yaml': YAML });
    const file = join(dir, 'mqx.config.yaml');
    const config = await loadNativeConfig(dir, undefined, { env: ENV });
    expect(config.filepath).toBe(file);
    const broker = config.broker!;
    expect(broker.security).toEqual({ allowAnonymous: false, passwordFile: join(dir, 'passwd') });
    expect(broker.maxQueuedMessages).toBe(500);
    expect(broker.maxInflightMessages).toBe(defaultBrokerConfig().maxInflightMessages);
    expect(broker.persistentClientExpiration).toBe(86400);
    expect(broker.listeners).toEqual([
      { port: 1883, protocol: 'mqtt', maxConnections: 0, origin: `${file}: broker.listeners[0]` },
      {
        port: 8883,
        host: '0.0.0.0',
        protocol: 'mqtt',
        maxConnections: 0,
        tls: {
          certfile: join(dir, 'certs/server.crt'),
          keyfile: '/etc/mqx/server.key',
          keyPassword: 'kpw',
          requireCertificate: false,
          useIdentityAsUsername: false,
          useSubjectAsUsername: false,
        },
        origin: `${file}: broker.listeners[1]`,
      },
      {
        port: 9001,
        protocol: 'websockets',
        httpPath: '/mqtt',
        maxConnections: 0,
        origin: `${file}: broker.listeners[2]`,
      },
    ]);
    expect(broker.persistence).toMatchObject({ enabled: true, location: join(dir, 'data') });
    expect(broker.persistence.file).toBeUndefined();
    expect(broker.log.destinations).toEqual([{ kind: 'stdout' }, { kind: 'file', path: '/var/log/mqx.log' }]);
    expect(broker.log.types).toEqual(['error', 'warning']);
    expect(broker.bridges[0]).toMatchObject({
      name: 'central',
      addresses: [{ host: 'localhost', port: 1884 }],
      topics: [
        { pattern: 'srv/#', direction: 'out', qos: 0, localPrefix: '', remotePrefix: '' },
        { pattern: '', direction: 'both', qos: 1, localPrefix: 'a/', remotePrefix: 'b/' },
      ],
      remotePassword: 'bpw',
      restartTimeout: [2, 60],
      tryPrivate: true,
    });
    expect(broker.sources).toEqual([file]);
    expect(config.profiles).toEqual({
      default: { host: 'broker.example', port: 8883, password: 'bpw', 'protocol-version': '5' },
      ci: { url: 'mqtt://localhost', connectTimeout: 5 },
    });
  });

  it('finds .mqxrc.json, and package.json "mqx"', async () => {
    const rc = tempTree({ '.mqxrc.json': JSON.stringify({ profiles: { default: { host: 'h' } } }) });
    expect((await loadNativeConfig(rc)).profiles).toEqual({ default: { host: 'h' } });
    const pkg = tempTree({
      'package.json': JSON.stringify({ name: 'x', mqx: { broker: { sysInterval: 0 } } }),
    });
    const config = await loadNativeConfig(pkg);
    expect(config.broker!.sysInterval).toBe(0);
    expect(config.broker!.listeners).toEqual([defaultListener()]);
  });

  it('reads .mqxrc as YAML, and looks past a package.json without "mqx"', async () => {
    const dir = tempTree({
      'package.json': '{"name":"app"}',
      '.mqxrc': 'profiles:\n  local: { port: 1884 }\n',
    });
    const config = await loadNativeConfig(dir);
    expect(config.filepath).toBe(join(dir, '.mqxrc'));
    expect(config.profiles).toEqual({ local: { port: 1884 } });
  });

  it('reads an explicit mqx.config.json', async () => {
    const dir = tempTree({ 'conf/my.json': JSON.stringify({ broker: { listeners: [{ port: 0 }] } }) });
    const config = await loadNativeConfig(undefined, join(dir, 'conf/my.json'));
    expect(config.broker!.listeners[0]!.port).toBe(0);
  });

  it('reads http_api listeners, httpAdmins and the log format', async () => {
    const raw = {
      broker: {
        listeners: [{ port: 1883 }, { port: 8080, host: '127.0.0.1', protocol: 'http_api' }],
        httpAdmins: ['ops'],
        log: { format: 'json' },
      },
    };
    const dir = tempTree({ 'mqx.config.json': JSON.stringify(raw) });
    const broker = (await loadNativeConfig(dir)).broker!;
    expect(broker.listeners.map((l) => l.port)).toEqual([1883]);
    expect(broker.http).toEqual({
      listeners: [expect.objectContaining({ port: 8080, protocol: 'http_api' })],
      admins: ['ops'],
    });
    expect(broker.log.format).toBe('json');
  });

  it('returns no file and no profiles when nothing is found', async () => {
    expect(await loadNativeConfig(tempTree())).toEqual({ filepath: undefined, profiles: {} });
  });

  it('treats an empty file as an empty config', async () => {
    const dir = tempTree({ '.mqxrc.yaml': '' });
    expect(await loadNativeConfig(dir)).toEqual({ filepath: join(dir, '.mqxrc.yaml'), profiles: {} });
  });

  it.each([
    [
      'broker:\n  listeners:\n    - prot: 1883\n',
      /mqx\.config\.yaml: broker\.listeners\[0\]\.prot: unknown key \(did you mean 'port'\?\)$/,
    ],
    ['brokr: {}\n', /mqx\.config\.yaml: brokr: unknown key \(did you mean 'broker'\?\)$/],
    ['broker:\n  listeners:\n    - host: x\n', /broker\.listeners\[0\]\.port: is required$/],
    [
      'broker:\n  listeners:\n    - port: "1883"\n',
      /broker\.listeners\[0\]\.port: expects a whole number from 0 to 65535, got string "1883"$/,
    ],
    ['broker:\n  allowAnonymous: yes-please\n', /broker\.allowAnonymous: expects true or false/],
    [
      'broker:\n  log:\n    destinations: [syslog]\n',
      /broker\.log\.destinations\[0\]: expects stdout, stderr, topic, none or \{ file: PATH \}/,
    ],
    ['broker:\n  persistentClientExpiration: 5x\n', /broker\.persistentClientExpiration' expects a duration/],
    [
      'broker:\n  bridges:\n    - name: b\n      addresses: [h]\n      topics: [{ pattern: "a/#/b" }]\n',
      /broker\.bridges\[0\]\.topics\[0\]: 'topic' pattern: '#' must be the last level/,
    ],
    [
      'broker:\n  bridges:\n    - name: b\n      addresses: [h]\n      topics: [{ pattern: "" }]\n',
      /broker\.bridges\[0\]\.topics\[0\]: 'topic' with an empty pattern/,
    ],
    [
      'broker:\n  bridges:\n    - name: b\n      addresses: [h]\n',
      /broker\.bridges\[0\]\.topics: is required/,
    ],
    [
      'broker:\n  bridges:\n    - name: b\n      addresses: ["h:0"]\n      topics: [{ pattern: x }]\n',
      /broker\.bridges\[0\]\.addresses\[0\]: 'address' port of 'h:0'/,
    ],
    [
      'broker:\n  listeners:\n    - port: 1\n      security: { allowAnonymous: true }\n',
      /broker\.listeners\[0\]\.security: needs perListenerSettings: true/,
    ],
    [
      'broker:\n  listeners:\n    - port: 8883\n      tls: { certfile: c }\n',
      /broker\.listeners\[0\]: listener 8883: TLS needs both 'certfile' and 'keyfile'/,
    ],
    [
      'profiles:\n  default:\n    hots: x\n',
      /mqx\.config\.yaml: profiles\.default\.hots: unknown key \(did you mean 'host'\?\)$/,
    ],
    [
      `profiles:\n  default:\n    password: \${MQX_TEST_UNSET}\n`,
      /profiles\.default\.password: 'password' names the environment variable MQX_TEST_UNSET, which is not set$/,
    ],
    [
      'broker:\n  listeners: [{ port: 1883 }, { port: 1883 }]\n',
      /broker\.listeners\[1\]: listener 1883 is already defined at .*broker\.listeners\[0\]$/,
    ],
    ['broker: [1]\n', /mqx\.config\.yaml: broker: expects an object, got a list$/],
    ['broker: {\n', /mqx\.config\.yaml/],
  ])('refuses %j', async (yaml, message) => {
    const dir = tempTree({ 'mqx.config.yaml': yaml });
    const text = await loadError(dir);
    expect(text).toMatch(message);
    expect(text).toContain(join(dir, 'mqx.config.yaml'));
    expect(text).not.toContain('\n');
  });

  it('reads a file: secret relative to the config file', async () => {
    const dir = tempTree({
      'pw.txt': 'secret\n',
      'mqx.config.json': JSON.stringify({ profiles: { default: { password: 'file:pw.txt' } } }),
    });
    expect((await loadNativeConfig(dir)).profiles.default).toEqual({ password: 'secret' });
  });

  it('names a missing explicit file', async () => {
    const dir = tempTree();
    expect(await loadError(dir, join(dir, 'nope.yaml'))).toBe(
      `${join(dir, 'nope.yaml')}: cannot read the file: ENOENT`,
    );
  });

  it('loads a JavaScript config (mqx.config.mjs)', async () => {
    const dir = tempTree();
    writeFileSync(join(dir, 'mqx.config.mjs'), 'export default { broker: { maxKeepalive: 30 } };\n');
    expect((await loadNativeConfig(dir)).broker!.maxKeepalive).toBe(30);
  });

  it('reads the cluster section with its defaults, and needs a url', async () => {
    const dir = tempTree({
      'mqx.config.json': JSON.stringify({ broker: { cluster: { url: 'redis://r:1' } } }),
    });
    expect((await loadNativeConfig(dir)).broker!.cluster).toEqual({
      url: 'redis://r:1',
      prefix: 'mqx',
      maxBuffered: 100_000,
    });
    const bad = tempTree({ 'mqx.config.json': JSON.stringify({ broker: { cluster: { prefix: 'x' } } }) });
    await expect(loadNativeConfig(bad)).rejects.toThrow(/cluster/);
  });
});
