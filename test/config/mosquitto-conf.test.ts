import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultListener } from '../../src/config/broker-config.js';
import { type MosquittoConfOptions, parseMosquittoConf } from '../../src/config/mosquitto-conf.js';
import { ConfigError } from '../../src/errors.js';
import { COURSE, coursePrefix } from '../helpers/course.js';
import { confFile, tempTree } from './helpers.js';

const FIXTURES = join(import.meta.dirname, '../fixtures/config');

/** Parses lines (or a file), collecting warnings instead of printing them. */
function parse(lines: string[] | string, options: MosquittoConfOptions = {}) {
  const warnings: string[] = [];
  const file = typeof lines === 'string' ? lines : confFile(...lines);
  const cfg = parseMosquittoConf(file, { onWarning: (w) => warnings.push(w), ...options });
  return { cfg, warnings, file };
}

describe("real configs, as written: the course's (as a student types them) and Debian's", () => {
  it('central broker on 1884', () => {
    const prefix = coursePrefix();
    const file = join(COURSE, 'central.conf');
    const { cfg, warnings } = parse(file, { pathPrefix: prefix });
    expect(cfg.security.allowAnonymous).toBe(true);
    expect(cfg.listeners).toEqual([{ port: 1884, protocol: 'mqtt', maxConnections: 0, origin: `${file}:9` }]);
    expect(cfg.persistence).toMatchObject({ enabled: true, location: `${prefix}/var/lib/mosquitto/` });
    expect(cfg.persistence.file).toBeUndefined();
    expect(cfg.log.destinations).toEqual([
      { kind: 'file', path: `${prefix}/var/log/mosquitto/mosquitto.log` },
      { kind: 'stdout' },
    ]);
    expect(cfg.bridges).toEqual([]);
    expect(warnings).toEqual([]);
  });

  it("bridge broker on 1883, forwarding srv/# to the central broker; 'connection bridge central' names it 'bridge'", () => {
    const prefix = coursePrefix();
    writeFileSync(join(prefix, 'etc/mosquitto/conf.d/local.conf'), 'max_queued_messages 5000\n');
    const file = join(COURSE, 'bridge.conf');
    const { cfg, warnings } = parse(file, { pathPrefix: prefix });
    expect(cfg.listeners.map((l) => [l.port, l.host])).toEqual([[1883, undefined]]);
    expect(cfg.bridges).toHaveLength(1);
    expect(cfg.bridges[0]).toMatchObject({
      name: 'bridge',
      addresses: [{ host: 'localhost', port: 1884 }],
      topics: [
        {
          pattern: 'srv/#',
          direction: 'out',
          qos: 0,
          localPrefix: '',
          remotePrefix: '',
          origin: `${file}:13`,
        },
      ],
      cleanSession: false,
      tryPrivate: true,
      origin: `${file}:11`,
    });
    expect(warnings).toEqual([
      `${file}:11: 'connection bridge central': bridge names cannot contain spaces; mosquitto uses the first word, so this bridge is named 'bridge' (ignoring 'central')`,
    ]);
    expect(cfg.maxQueuedMessages).toBe(5000);
    expect(cfg.sources).toEqual([file, `${prefix}/etc/mosquitto/conf.d/local.conf`]);
  });

  it('the challenge brokers: 1883 -> 1884, 1885 -> 1886 -> 1884, srv/# both 2', () => {
    const prefix = coursePrefix();
    const read = (name: string) => parse(join(COURSE, name), { pathPrefix: prefix });
    const shape = (name: string) => {
      const { cfg, warnings } = read(name);
      const b = cfg.bridges[0]!;
      return [
        cfg.listeners[0]!.port,
        b.name,
        b.addresses[0]!.port,
        b.topics[0]!.direction,
        b.topics[0]!.qos,
        warnings,
      ];
    };
    expect(shape('challenge-bridge1.conf')).toEqual([1883, 'bridge1_central', 1884, 'both', 2, []]);
    expect(shape('challenge-bridge2.conf')).toEqual([1885, 'bridge2_bridge3', 1886, 'both', 2, []]);
    expect(shape('challenge-bridge3.conf')).toEqual([1886, 'bridge3_central', 1884, 'both', 2, []]);
    const basic = read('mosquitto.conf');
    expect(basic.cfg.listeners.map((l) => l.port)).toEqual([1883]);
    expect(basic.warnings).toEqual([]);
  });

  it("Debian's packaged mosquitto.conf", () => {
    const warnings: string[] = [];
    const file = join(FIXTURES, 'debian-mosquitto.conf');
    const cfg = parseMosquittoConf(file, { pathPrefix: coursePrefix(), onWarning: (w) => warnings.push(w) });
    expect(cfg.listeners).toEqual([defaultListener()]);
    expect(cfg.persistence.enabled).toBe(true);
    expect(warnings).toEqual([`${file}:5: 'pid_file' is ignored: mqx writes no pid file`]);
  });

  it('without the redirected folders, a missing include_dir names the line', () => {
    const file = join(COURSE, 'central.conf');
    const missing = tempTree();
    expect(() => parseMosquittoConf(file, { pathPrefix: join(missing, 'none') })).toThrow(
      new RegExp(`^${file}:14: 'include_dir' cannot read .*/etc/mosquitto/conf.d: ENOENT$`),
    );
  });
});

describe('listeners', () => {
  it('opens loopback 1883 when no listener is configured, as mosquitto 2.0', () => {
    expect(parse(['allow_anonymous false']).cfg.listeners).toEqual([defaultListener()]);
  });

  it('port alone binds every interface; bind_address narrows it', () => {
    expect(parse(['port 1999']).cfg.listeners.map((l) => [l.port, l.host])).toEqual([[1999, undefined]]);
    expect(parse(['bind_address 10.0.0.1', 'port 1999']).cfg.listeners[0]).toMatchObject({
      port: 1999,
      host: '10.0.0.1',
    });
  });

  it('listener options before the first listener apply to the default listener', () => {
    const { cfg } = parse(['max_connections 7', 'listener 8080 127.0.0.1', 'protocol websockets']);
    expect(cfg.listeners).toMatchObject([
      { port: 1883, maxConnections: 7 },
      { port: 8080, host: '127.0.0.1', protocol: 'websockets' },
    ]);
    expect(cfg.listeners[0]!.host).toBeUndefined();
  });

  it('reads listener lines, unix sockets and per-listener options', () => {
    const { cfg, file } = parse([
      'listener 1883',
      'max_connections -1',
      'mount_point site1/',
      'listener 9001 ::1',
      'protocol websockets',
      'max_connections 100',
      'listener 0 /run/mosquitto/mqtt.sock',
      'listener 1884',
      'socket_domain ipv4',
    ]);
    expect(cfg.listeners).toEqual([
      { port: 1883, protocol: 'mqtt', maxConnections: 0, mountPoint: 'site1/', origin: `${file}:1` },
      { port: 9001, host: '::1', protocol: 'websockets', maxConnections: 100, origin: `${file}:4` },
      {
        port: 0,
        unixSocketPath: '/run/mosquitto/mqtt.sock',
        protocol: 'mqtt',
        maxConnections: 0,
        origin: `${file}:7`,
      },
      { port: 1884, host: '0.0.0.0', protocol: 'mqtt', maxConnections: 0, origin: `${file}:8` },
    ]);
  });

  it('re-roots a unix socket path under the prefix', () => {
    const { cfg } = parse(['listener 0 /run/m.sock'], { pathPrefix: '/tmp/p' });
    expect(cfg.listeners[0]!.unixSocketPath).toBe('/tmp/p/run/m.sock');
  });

  it('bind_interface binds the interface address, with a warning', () => {
    const { cfg, warnings } = parse(['listener 1883', 'bind_interface lo']);
    expect(cfg.listeners[0]!.host).toBe('127.0.0.1');
    expect(warnings).toEqual([expect.stringMatching(/:2: 'bind_interface lo' binds 127\.0\.0\.1/)]);
  });

  it('reads TLS options into the listener', () => {
    const { cfg } = parse([
      'listener 8883',
      'certfile /etc/mosquitto/certs/server.crt',
      'keyfile /etc/mosquitto/certs/server.key',
      'cafile /etc/mosquitto/ca_certificates/ca.crt',
      'capath /etc/ssl/certs',
      'crlfile /etc/mosquitto/crl.pem',
      'require_certificate true',
      'use_identity_as_username true',
      'use_subject_as_username false',
      'tls_version tlsv1.2',
      'ciphers ECDHE-RSA-AES128-GCM-SHA256',
      'ciphers_tls1.3 TLS_AES_128_GCM_SHA256',
    ]);
    expect(cfg.listeners[0]!.tls).toEqual({
      certfile: '/etc/mosquitto/certs/server.crt',
      keyfile: '/etc/mosquitto/certs/server.key',
      cafile: '/etc/mosquitto/ca_certificates/ca.crt',
      capath: '/etc/ssl/certs',
      crlfile: '/etc/mosquitto/crl.pem',
      requireCertificate: true,
      useIdentityAsUsername: true,
      useSubjectAsUsername: false,
      tlsVersion: 'tlsv1.2',
      ciphers: 'ECDHE-RSA-AES128-GCM-SHA256:TLS_AES_128_GCM_SHA256',
    });
  });
});

describe('general directives', () => {
  it('maps every general directive', () => {
    const { cfg, warnings } = parse([
      '# a comment',
      '   # an indented comment',
      '',
      'allow_anonymous false',
      'password_file /etc/mosquitto/passwd',
      'acl_file /etc/mosquitto/acl',
      'allow_zero_length_clientid false',
      'auto_id_prefix mqx-auto-',
      'max_inflight_messages 0',
      'max_queued_messages 200',
      'max_queued_bytes 1048576',
      'message_size_limit 1000000',
      'max_packet_size 2000000',
      'max_keepalive 120',
      'max_topic_alias 3',
      'sys_interval 0',
      'retain_available false',
      'max_qos 1',
      'queue_qos0_messages true',
      'persistent_client_expiration 2w',
      'persistence true',
      'persistence_location /var/lib/mosquitto/',
      'persistence_file my.db',
      'autosave_interval 60',
      'autosave_on_changes false',
      'log_timestamp false',
      'log_timestamp_format %Y-%m-%dT%H:%M:%S',
      'connection_messages false',
      'set_tcp_nodelay true',
      'user mosquitto',
      'pid_file /run/mosquitto/mosquitto.pid   ',
    ]);
    expect(cfg).toMatchObject({
      security: {
        allowAnonymous: false,
        passwordFile: '/etc/mosquitto/passwd',
        aclFile: '/etc/mosquitto/acl',
      },
      allowZeroLengthClientId: false,
      autoIdPrefix: 'mqx-auto-',
      maxInflightMessages: 0,
      maxQueuedMessages: 200,
      maxQueuedBytes: 1048576,
      messageSizeLimit: 1000000,
      maxPacketSize: 2000000,
      maxKeepalive: 120,
      maxTopicAlias: 3,
      sysInterval: 0,
      retainAvailable: false,
      maxQos: 1,
      queueQos0Messages: true,
      persistentClientExpiration: 14 * 86400,
      persistence: { enabled: true, location: '/var/lib/mosquitto/', file: 'my.db', autosaveInterval: 60 },
      log: { timestamp: false, timestampFormat: '%Y-%m-%dT%H:%M:%S', connectionMessages: false },
    });
    expect(warnings).toEqual([
      expect.stringMatching(/:30: 'user' is ignored/),
      expect.stringMatching(/:31: 'pid_file' is ignored/),
    ]);
  });

  it.each([
    ['3h', 3 * 3600],
    ['1d', 86400],
    ['2w', 14 * 86400],
    ['1m', 30 * 86400],
    ['1y', 365 * 86400],
  ])('persistent_client_expiration %s', (text, seconds) => {
    expect(parse([`persistent_client_expiration ${text}`]).cfg.persistentClientExpiration).toBe(seconds);
  });

  it('reads CRLF files', () => {
    const file = join(tempTree({ 'w.conf': 'port 1999\r\nallow_anonymous true\r\n' }), 'w.conf');
    expect(parseMosquittoConf(file).listeners[0]!.port).toBe(1999);
  });
});

describe('logging', () => {
  it('the first log_dest replaces the default; syslog maps to stderr with a warning', () => {
    const { cfg, warnings } = parse([
      'log_dest syslog',
      'log_dest topic',
      'log_dest stdout',
      'log_dest stdout',
    ]);
    expect(cfg.log.destinations).toEqual([{ kind: 'stderr' }, { kind: 'topic' }, { kind: 'stdout' }]);
    expect(warnings).toEqual([
      expect.stringMatching(/:1: 'log_dest syslog' is not available in mqx; logging to stderr/),
    ]);
  });

  it('log_dest none silences, a later destination re-enables', () => {
    expect(parse(['log_dest none']).cfg.log.destinations).toEqual([{ kind: 'none' }]);
    expect(parse(['log_dest none', 'log_dest stderr']).cfg.log.destinations).toEqual([{ kind: 'stderr' }]);
  });

  it('log_dest file keeps spaces in the path', () => {
    expect(parse(['log_dest file /var/log/my logs/m.log']).cfg.log.destinations).toEqual([
      { kind: 'file', path: '/var/log/my logs/m.log' },
    ]);
  });

  it('the first log_type replaces the default set', () => {
    expect(parse(['log_type error', 'log_type subscribe', 'log_type error']).cfg.log.types).toEqual([
      'error',
      'subscribe',
    ]);
    expect(parse(['log_type all']).cfg.log.types).toEqual(['all']);
    expect(parse([]).cfg.log.types).toEqual(['error', 'warning', 'notice', 'information']);
  });
});

describe('per_listener_settings', () => {
  it('without it, security is global wherever it stands', () => {
    const { cfg } = parse(['listener 1883', 'allow_anonymous true', 'listener 1884', 'password_file /p']);
    expect(cfg.security).toEqual({ allowAnonymous: true, passwordFile: '/p' });
    expect(cfg.listeners.every((l) => l.security === undefined)).toBe(true);
  });

  it('with it, security belongs to the listener above it (or the default listener)', () => {
    const { cfg } = parse([
      'per_listener_settings true',
      'allow_anonymous false',
      'password_file /etc/mosquitto/passwd',
      'listener 1884',
      'allow_anonymous true',
      'listener 8883',
      'acl_file /etc/mosquitto/acl',
    ]);
    expect(cfg.perListenerSettings).toBe(true);
    expect(cfg.security).toEqual({});
    expect(cfg.listeners.map((l) => [l.port, l.security])).toEqual([
      [1883, { allowAnonymous: false, passwordFile: '/etc/mosquitto/passwd' }],
      [1884, { allowAnonymous: true }],
      [8883, { aclFile: '/etc/mosquitto/acl' }],
    ]);
  });
});

describe('include_dir', () => {
  it('reads *.conf in C-locale order, inline at the include_dir line', () => {
    const root = tempTree({
      'conf.d/b.conf': 'auto_id_prefix b-\n',
      'conf.d/a.conf': 'auto_id_prefix a-\n',
      'conf.d/B.conf': 'auto_id_prefix B-\n',
      'conf.d/_.conf': 'auto_id_prefix _-\n',
      'conf.d/10.conf': 'auto_id_prefix 10-\n',
      'conf.d/9.conf': 'auto_id_prefix 9-\n',
      'conf.d/notes.txt': 'not read\n',
      'conf.d/z.conf.bak': 'not read\n',
    });
    const main = join(root, 'main.conf');
    writeFileSync(main, `include_dir ${join(root, 'conf.d')}\nmax_queued_messages 7\n`);
    const cfg = parseMosquittoConf(main);
    const names = cfg.sources.map((s) => s.slice(root.length + 1));
    // Byte order: digits < upper case < '_' < lower case, and '10' < '9'.
    expect(names).toEqual([
      'main.conf',
      'conf.d/10.conf',
      'conf.d/9.conf',
      'conf.d/B.conf',
      'conf.d/_.conf',
      'conf.d/a.conf',
      'conf.d/b.conf',
    ]);
    expect(cfg.autoIdPrefix).toBe('b-');
    expect(cfg.maxQueuedMessages).toBe(7);
  });

  it('skips directories, even one named like a config file', () => {
    const root = tempTree({ 'conf.d/dir.conf/x.conf': 'bogus\n', 'conf.d/real.conf': 'sys_interval 1\n' });
    const main = join(root, 'm.conf');
    writeFileSync(main, `include_dir ${join(root, 'conf.d')}\n`);
    expect(parseMosquittoConf(main).sysInterval).toBe(1);
  });

  it('errors in an included file name that file and line', () => {
    const root = tempTree({ 'conf.d/x.conf': 'port 1883\nbogus 1\n' });
    const main = join(root, 'm.conf');
    writeFileSync(main, `include_dir ${join(root, 'conf.d')}\n`);
    expect(() => parseMosquittoConf(main)).toThrow(
      `${join(root, 'conf.d/x.conf')}:2: unknown directive 'bogus'`,
    );
  });

  it('refuses an include loop', () => {
    const root = tempTree();
    mkdirSync(join(root, 'd'));
    writeFileSync(join(root, 'd/self.conf'), `include_dir ${join(root, 'd')}\n`);
    expect(() => parseMosquittoConf(join(root, 'd/self.conf'))).toThrow(
      /:1: 'include_dir' includes .*self.conf again/,
    );
  });
});

describe('bridges', () => {
  it('reads every bridge directive', () => {
    const { cfg, file } = parse([
      'connection north',
      'addresses broker1.example:8883 [::1]:1885 broker3',
      'round_robin true',
      'topic sensors/# out 1',
      'topic cmd/+ in 2 local/ remote/',
      'topic "" both 0 a/b c/d',
      'topic x/# both 1 "" up/',
      'remote_clientid north-bridge',
      'local_clientid north-local',
      'remote_username user one',
      'remote_password s3cret',
      'local_username admin',
      'local_password pw',
      'cleansession true',
      'local_cleansession false',
      'keepalive_interval 30',
      'bridge_protocol_version mqttv50',
      'try_private false',
      'notifications false',
      'notification_topic $SYS/bridges/north',
      'notifications_local_only true',
      'restart_timeout 10 120',
      'start_type lazy',
      'threshold 50',
      'idle_timeout 90',
      'bridge_attempt_unsubscribe false',
      'bridge_outgoing_retain false',
      'bridge_max_packet_size 65536',
      'bridge_session_expiry_interval 3600',
      'bridge_receive_maximum 100',
      'bridge_cafile /etc/ssl/ca.crt',
      'bridge_capath /etc/ssl/certs',
      'bridge_certfile /etc/ssl/c.crt',
      'bridge_keyfile /etc/ssl/c.key',
      'bridge_insecure true',
      'bridge_tls_version tlsv1.3',
    ]);
    expect(cfg.bridges[0]).toEqual({
      name: 'north',
      addresses: [
        { host: 'broker1.example', port: 8883 },
        { host: '::1', port: 1885 },
        { host: 'broker3', port: 1883 },
      ],
      roundRobin: true,
      topics: [
        {
          pattern: 'sensors/#',
          direction: 'out',
          qos: 1,
          localPrefix: '',
          remotePrefix: '',
          origin: `${file}:4`,
        },
        {
          pattern: 'cmd/+',
          direction: 'in',
          qos: 2,
          localPrefix: 'local/',
          remotePrefix: 'remote/',
          origin: `${file}:5`,
        },
        {
          pattern: '',
          direction: 'both',
          qos: 0,
          localPrefix: 'a/b',
          remotePrefix: 'c/d',
          origin: `${file}:6`,
        },
        {
          pattern: 'x/#',
          direction: 'both',
          qos: 1,
          localPrefix: '',
          remotePrefix: 'up/',
          origin: `${file}:7`,
        },
      ],
      remoteClientId: 'north-bridge',
      localClientId: 'north-local',
      remoteUsername: 'user one',
      remotePassword: 's3cret',
      localUsername: 'admin',
      localPassword: 'pw',
      cleanSession: true,
      localCleanSession: false,
      keepaliveInterval: 30,
      protocolVersion: 'mqttv50',
      tryPrivate: false,
      notifications: false,
      notificationTopic: '$SYS/bridges/north',
      notificationsLocalOnly: true,
      restartTimeout: [10, 120],
      startType: 'lazy',
      threshold: 50,
      idleTimeout: 90,
      attemptUnsubscribe: false,
      outgoingRetain: false,
      maxPacketSize: 65536,
      sessionExpiryInterval: 3600,
      receiveMaximum: 100,
      tls: {
        cafile: '/etc/ssl/ca.crt',
        capath: '/etc/ssl/certs',
        certfile: '/etc/ssl/c.crt',
        keyfile: '/etc/ssl/c.key',
        insecure: true,
        tlsVersion: 'tlsv1.3',
      },
      origin: `${file}:1`,
    });
  });

  it('accepts the deprecated clientid, username and password spellings', () => {
    const { cfg } = parse([
      'connection b',
      'address h',
      'topic # out',
      'clientid c',
      'username u',
      'password p',
    ]);
    expect(cfg.bridges[0]).toMatchObject({ remoteClientId: 'c', remoteUsername: 'u', remotePassword: 'p' });
  });

  it('one restart_timeout value is a fixed delay', () => {
    const { cfg } = parse(['connection b', 'address h', 'topic # out', 'restart_timeout 20']);
    expect(cfg.bridges[0]!.restartTimeout).toEqual([20, 20]);
  });

  it('keeps several bridges apart, and general directives still apply after a connection', () => {
    const { cfg } = parse([
      'connection a',
      'address h1',
      'topic a/#',
      'connection b',
      'address h2',
      'topic b/# in',
      'sys_interval 3',
    ]);
    expect(cfg.bridges.map((b) => [b.name, b.addresses[0]!.host, b.topics[0]!.pattern])).toEqual([
      ['a', 'h1', 'a/#'],
      ['b', 'h2', 'b/#'],
    ]);
    expect(cfg.sysInterval).toBe(3);
  });

  it.each([
    ['topic', /'topic' expects a pattern/],
    ['topic "" out 0', /empty pattern \(""\) needs both a local and a remote prefix/],
    ['topic "" out 0 "" r/', /empty pattern \(""\) needs both/],
    ['topic a/# out 0 l/', /needs both a local and a remote prefix, or neither/],
    ['topic a/# sideways', /'topic direction' expects one of out, in, both, got 'sideways'/],
    ['topic a/# out 3', /'topic QoS' expects a number from 0 to 2, got '3'/],
    ['topic a/#/b', /'#' must be the last level/],
    ['topic a+ in', /'\+' must occupy a whole level/],
    ['topic a out 0 l/+ r/', /local prefix 'l\/\+' must not contain \+ or #/],
    ['topic a out 0 l/ r/#', /remote prefix 'r\/#' must not contain/],
    ['topic $share/g/a out', /must not be a shared subscription/],
    ['topic a out 0 l/ r/ extra', /too many values: 'extra'/],
  ])('refuses %j on its own line', (rule, message) => {
    const { file } = { file: confFile('connection b', 'address h', rule) };
    let error: unknown;
    try {
      parseMosquittoConf(file);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message.startsWith(`${file}:3: `)).toBe(true);
    expect((error as Error).message).toMatch(message);
  });
});

describe('secrets', () => {
  it(`reads \${NAME} from the environment and file:PATH from a file`, () => {
    const root = tempTree({ 'pw.txt': 'from-file\nsecond line ignored\n' });
    const { cfg } = parse(
      [
        'listener 8883',
        'certfile /c.crt',
        'keyfile /c.key',
        `keyfile_password \${KEY_PW}`,
        'connection b',
        'address h',
        'topic #',
        'remote_username u',
        `remote_password \${BRIDGE_PW}`,
        'local_username l',
        `local_password file:${join(root, 'pw.txt')}`,
      ],
      { env: { BRIDGE_PW: 'from-env', KEY_PW: 'key-pw' } },
    );
    expect(cfg.bridges[0]).toMatchObject({ remotePassword: 'from-env', localPassword: 'from-file' });
    expect(cfg.listeners[0]!.tls!.keyPassword).toBe('key-pw');
  });

  it('re-roots a file: secret under the prefix', () => {
    const root = tempTree({ 'etc/mosquitto/bridge.pw': 'pw\n' });
    const { cfg } = parse(
      [
        'connection b',
        'address h',
        'topic #',
        'remote_username u',
        'remote_password file:/etc/mosquitto/bridge.pw',
      ],
      { pathPrefix: root },
    );
    expect(cfg.bridges[0]!.remotePassword).toBe('pw');
  });

  it('a literal password stays literal', () => {
    const { cfg } = parse([
      'connection b',
      'address h',
      'topic #',
      'remote_username u',
      `remote_password pa$$ \${x`,
    ]);
    expect(cfg.bridges[0]!.remotePassword).toBe(`pa$$ \${x`);
  });
});

describe('warnings for accepted but ignored directives', () => {
  it('names file, line and directive', () => {
    const { warnings, file } = parse([
      'listener 8080',
      'protocol websockets',
      'http_dir /var/www',
      'log_facility 5',
    ]);
    expect(warnings).toEqual([
      `${file}:3: 'http_dir' is ignored: mqx serves its own dashboard on an http_api listener`,
      `${file}:4: 'log_facility' is ignored: mqx does not log to syslog`,
    ]);
  });
});

describe('errors: one line naming FILE:LINE and the key', () => {
  const cases: Array<[string, string[], number, RegExp]> = [
    [
      'misspelt directive',
      ['alow_anonymous true'],
      1,
      /unknown directive 'alow_anonymous' \(did you mean 'allow_anonymous'\?\)/,
    ],
    [
      'space for underscore',
      ['port 1883', 'allow anonymous true'],
      2,
      /unknown directive 'allow' \(did you mean 'allow_anonymous'\?\)/,
    ],
    [
      'underscore for space',
      ['log_dest_stdout'],
      1,
      /unknown directive 'log_dest_stdout' \(did you mean 'log_dest stdout'\?\)/,
    ],
    ['unknown, no hint', ['frobnicate yes'], 1, /^[^(]*unknown directive 'frobnicate'$/],
    ['port not a number', ['port abc'], 1, /'port' expects a number from 0 to 65535, got 'abc'/],
    ['port out of range', ['port 70000'], 1, /'port' expects a number from 0 to 65535, got '70000'/],
    [
      'a second word in a value mosquitto reads to the end of the line',
      ['connection x', 'remote_clientid a b'],
      2,
      /'remote_clientid' takes one value, got extra 'b'/,
    ],
    ['boolean as yes', ['allow_anonymous yes'], 1, /'allow_anonymous' expects true or false, got 'yes'/],
    ['boolean as 1', ['persistence 1'], 1, /'persistence' expects true or false, got '1'/],
    ['boolean missing', ['retain_available'], 1, /'retain_available' expects true or false, got ''/],
    [
      'negative count',
      ['max_inflight_messages -5'],
      1,
      /'max_inflight_messages' expects a number from 0 to 65535/,
    ],
    [
      'duration without unit',
      ['persistent_client_expiration 10'],
      1,
      /'persistent_client_expiration' expects a duration/,
    ],
    [
      'log_dest kind',
      ['log_dest carrier-pigeon'],
      1,
      /'log_dest' expects stdout, stderr, file PATH, topic, syslog or none/,
    ],
    ['log_dest file without path', ['log_dest file'], 1, /'log_dest file' expects a path/],
    ['log_type value', ['log_type chatty'], 1, /'log_type' expects one of debug, error/],
    [
      'protocol value',
      ['listener 80', 'protocol http'],
      2,
      /'protocol' expects one of mqtt, websockets, http_api, got 'http'/,
    ],
    ['listener without port', ['listener'], 1, /'listener' expects a number from 0 to 65535, got ''/],
    ['listener extra words', ['listener 1883 0.0.0.0 extra'], 1, /'listener' expects PORT \[ADDRESS\]/],
    [
      'duplicate listener',
      ['listener 1883', 'listener 1884', 'listener 1883'],
      3,
      /listener 1883 is already defined at .*:1$/,
    ],
    [
      'listener clashing with port',
      ['listener 1883', 'port 1883'],
      1,
      /listener 1883 is already defined at .*:2$/,
    ],
    [
      'bind_address after a listener',
      ['listener 1883', 'bind_address 127.0.0.1'],
      2,
      /'bind_address' applies only to the default listener \('port'\); give the address on the listener line: 'listener 1883 127.0.0.1'/,
    ],
    [
      'mount_point with a wildcard',
      ['listener 1883', 'mount_point a/+/'],
      2,
      /'mount_point': topic 'a\/\+\/' must not contain the wildcards/,
    ],
    [
      'tls version',
      ['listener 8883', 'tls_version tlsv1.0'],
      2,
      /'tls_version' expects one of tlsv1.3, tlsv1.2, tlsv1.1/,
    ],
    [
      'certfile without keyfile',
      ['listener 8883', 'certfile /c.pem'],
      1,
      /listener 8883: TLS needs both 'certfile' and 'keyfile'/,
    ],
    [
      'require_certificate without CA',
      ['listener 8883', 'certfile /c', 'keyfile /k', 'require_certificate true'],
      1,
      /'require_certificate' needs 'cafile' or 'capath'/,
    ],
    [
      'unsupported directive',
      ['plugin /usr/lib/x.so'],
      1,
      /'plugin' is a mosquitto directive that mqx does not support/,
    ],
    [
      'unsupported plugin option',
      ['plugin_opt_db x'],
      1,
      /'plugin_opt_db' is a mosquitto directive that mqx does not support/,
    ],
    [
      'include_dir missing',
      ['include_dir /nonexistent/mqx-test'],
      1,
      /'include_dir' cannot read \/nonexistent\/mqx-test: ENOENT/,
    ],
    [
      'bridge option before connection',
      ['address localhost'],
      1,
      /'address' must follow a 'connection' line/,
    ],
    [
      'bridge without address',
      ['port 1883', 'connection x', 'topic a/#'],
      2,
      /bridge 'x': 'address' is missing/,
    ],
    ['bridge without topic', ['connection x', 'address h'], 1, /bridge 'x': no 'topic' rule/],
    [
      'bridge address port',
      ['connection x', 'address h:abc'],
      2,
      /'address' port of 'h:abc' expects a number from 1 to 65535, got 'abc'/,
    ],
    ['second address line', ['connection x', 'address a', 'address b'], 3, /second 'address' line/],
    [
      'duplicate bridge',
      ['connection x', 'address h', 'topic #', 'connection x'],
      4,
      /bridge 'x' is already defined at .*:1/,
    ],
    ['connection without name', ['connection'], 1, /'connection' expects a bridge name/],
    [
      'bridge protocol',
      ['connection x', 'bridge_protocol_version mqttv5'],
      2,
      /'bridge_protocol_version' expects one of mqttv31, mqttv311, mqttv50/,
    ],
    [
      'restart_timeout order',
      ['connection x', 'address h', 'topic #', 'restart_timeout 30 5'],
      1,
      /'restart_timeout' cap 5 is below the base 30/,
    ],
    [
      'password without username',
      ['connection x', 'address h', 'topic #', 'remote_password p'],
      1,
      /'remote_password' needs 'remote_username'/,
    ],
    [
      'bridge TLS without CA',
      ['connection x', 'address h', 'topic #', 'bridge_insecure true'],
      1,
      /TLS needs 'bridge_cafile' or 'bridge_capath'/,
    ],
    [
      'missing secret',
      ['connection x', 'address h', 'topic #', 'remote_username u', `remote_password \${MQX_TEST_UNSET}`],
      5,
      /'remote_password' names the environment variable MQX_TEST_UNSET, which is not set/,
    ],
    [
      'unreadable secret file',
      ['connection x', 'remote_password file:/nonexistent/pw'],
      2,
      /'remote_password' cannot read \/nonexistent\/pw: ENOENT/,
    ],
    [
      'per_listener_settings too late',
      ['allow_anonymous true', 'per_listener_settings true'],
      2,
      /'per_listener_settings' must come before the security options \(first at .*:1\)/,
    ],
    [
      'notification topic',
      ['connection x', 'notification_topic a/#'],
      2,
      /'notification_topic': topic 'a\/#' must not contain the wildcards/,
    ],
    ['empty value', ['auto_id_prefix'], 1, /'auto_id_prefix' expects a value/],
  ];

  it.each(cases)('%s', (_name, lines, line, message) => {
    const file = confFile(...lines);
    let error: unknown;
    try {
      parseMosquittoConf(file, { env: {}, onWarning: () => {} });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const text = (error as Error).message;
    expect(text).not.toContain('\n');
    expect(text.startsWith(`${file}:${line}: `)).toBe(true);
    expect(text).toMatch(message);
  });

  it('a missing config file names the file', () => {
    expect(() => parseMosquittoConf('/nonexistent/m.conf')).toThrow(
      '/nonexistent/m.conf: cannot read the file: ENOENT',
    );
  });

  it('reads the cluster lines, the password from the environment, and needs cluster first', () => {
    const { cfg } = parse(
      [
        'cluster redis://127.0.0.1:6380/2',
        `cluster_password \${MQX_TEST_REDIS_PW}`,
        'cluster_prefix site1',
        'cluster_max_buffered 50',
      ],
      { env: { MQX_TEST_REDIS_PW: 'secret' } },
    );
    expect(cfg.cluster).toEqual({
      url: 'redis://127.0.0.1:6380/2',
      password: 'secret',
      prefix: 'site1',
      maxBuffered: 50,
    });
    expect(() => parse(['cluster_prefix x'])).toThrow(
      /:1: 'cluster_prefix' needs a 'cluster redis:\/\/HOST:PORT' line before it/,
    );
  });
});

describe('the admin HTTP listener (mosquitto 2.1 http_api)', () => {
  it('moves an http_api listener, with its TLS options, out of the MQTT listeners', () => {
    const { cfg } = parse([
      'listener 1883',
      'listener 8443 127.0.0.1',
      'protocol http_api',
      'certfile /etc/ssl/admin.crt',
      'keyfile /etc/ssl/admin.key',
      'listener 1884',
      'http_admin ops',
      'log_format json',
    ]);
    expect(cfg.listeners.map((l) => l.port)).toEqual([1883, 1884]);
    expect(cfg.http?.listeners).toEqual([
      expect.objectContaining({
        port: 8443,
        host: '127.0.0.1',
        protocol: 'http_api',
        tls: expect.objectContaining({ certfile: '/etc/ssl/admin.crt', keyfile: '/etc/ssl/admin.key' }),
      }),
    ]);
    expect(cfg.http?.admins).toEqual(['ops']);
    expect(cfg.log.format).toBe('json');
  });

  it('leaves http unset without one, and refuses an unknown log_format', () => {
    expect(parse(['listener 1883']).cfg.http).toBeUndefined();
    expect(() => parse(['log_format xml'])).toThrow(ConfigError);
  });
});
