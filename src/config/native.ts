/**
 * mqx's own config, found by cosmiconfig: `{ broker: {...}, profiles: { NAME: {...} } }`. The
 * broker section uses BrokerConfig's camelCase names for mosquitto's directives and is checked by
 * the same rules as mosquitto.conf (bridge topics, TLS pairs); profiles hold client flags by their
 * long names (`host`, `port`, `password`...), kebab-case or camelCase.
 *
 * Paths in the file resolve against the file's directory, since such a file lives with a project
 * rather than in /etc.
 */
import { dirname, isAbsolute, resolve } from 'node:path';
import type { FlowSettings } from '../broker/flow-control.js';
import { ConfigError } from '../errors.js';
import { checkBridge, checkTopicRule, newBridge, parseAddress } from './bridge-rules.js';
import {
  type BridgeConfig,
  type BridgeTopicRule,
  type BrokerConfig,
  type ClusterSettings,
  defaultBrokerConfig,
  defaultClusterSettings,
  defaultListener,
  type ListenerConfig,
  LOG_TYPES,
  type LogDestination,
  type LogSettings,
  type PersistenceSettings,
  type SecuritySettings,
  type TlsSettings,
} from './broker-config.js';
import { checkListeners, splitHttpListeners } from './listener-rules.js';
import { type Spec, validate } from './schema.js';
import { SEARCH_PLACES } from './search-places.js';
import { configError } from './values.js';

export interface NativeConfig {
  /** The file read; undefined when none was found (then there is no broker section either). */
  filepath: string | undefined;
  broker?: BrokerConfig;
  profiles: Record<string, Record<string, unknown>>;
}

export interface NativeConfigOptions {
  /** For `${NAME}` secrets; process.env by default. */
  env?: NodeJS.ProcessEnv;
}

// ---- schema ----------------------------------------------------------------------------------

const str: Spec = { t: 'string' };
const path: Spec = { t: 'path' };
const secret: Spec = { t: 'secret' };
const bool: Spec = { t: 'bool' };
const int = (min: number, max: number): Spec => ({ t: 'int', min, max });
const oneOf = (values: readonly string[]): Spec => ({ t: 'enum', values });
const U16 = 65535;
const U32 = 4294967295;
const MAX_PACKET = 268435455;
const TLS_VERSIONS = ['tlsv1.3', 'tlsv1.2', 'tlsv1.1'];

const securitySpec: Spec = {
  t: 'object',
  fields: { allowAnonymous: bool, passwordFile: path, aclFile: path },
};

const listenerSpec: Spec = {
  t: 'object',
  required: ['port'],
  fields: {
    port: int(0, U16),
    host: str,
    unixSocketPath: path,
    protocol: oneOf(['mqtt', 'websockets', 'http_api']),
    maxConnections: int(0, U32),
    mountPoint: str,
    httpPath: str,
    tls: {
      t: 'object',
      fields: {
        certfile: path,
        keyfile: path,
        keyPassword: secret,
        cafile: path,
        capath: path,
        crlfile: path,
        requireCertificate: bool,
        useIdentityAsUsername: bool,
        useSubjectAsUsername: bool,
        tlsVersion: oneOf(TLS_VERSIONS),
        ciphers: str,
      },
    },
    security: securitySpec,
  },
};

const bridgeSpec: Spec = {
  t: 'object',
  required: ['name', 'addresses', 'topics'],
  fields: {
    name: str,
    addresses: { t: 'array', of: str },
    roundRobin: bool,
    topics: {
      t: 'array',
      of: {
        t: 'object',
        required: ['pattern'],
        fields: {
          // '' is allowed here (with both prefixes), as mosquitto's `""`.
          pattern: {
            t: 'oneOf',
            of: [str, oneOf([''])],
            describe: 'a topic filter, or "" with both prefixes',
          },
          direction: oneOf(['out', 'in', 'both']),
          qos: int(0, 2),
          localPrefix: { t: 'oneOf', of: [str, oneOf([''])], describe: 'a topic prefix' },
          remotePrefix: { t: 'oneOf', of: [str, oneOf([''])], describe: 'a topic prefix' },
        },
      },
    },
    remoteClientId: str,
    localClientId: str,
    remoteUsername: str,
    remotePassword: secret,
    localUsername: str,
    localPassword: secret,
    cleanSession: bool,
    localCleanSession: bool,
    keepaliveInterval: int(0, U16),
    protocolVersion: oneOf(['mqttv31', 'mqttv311', 'mqttv50']),
    tryPrivate: bool,
    notifications: bool,
    notificationTopic: str,
    notificationsLocalOnly: bool,
    restartTimeout: {
      t: 'oneOf',
      of: [int(1, U32), { t: 'array', of: int(1, U32) }],
      describe: 'seconds, or [base, cap] in seconds',
    },
    startType: oneOf(['automatic', 'lazy', 'once']),
    threshold: int(1, U32),
    idleTimeout: int(1, U32),
    attemptUnsubscribe: bool,
    outgoingRetain: bool,
    maxPacketSize: int(0, MAX_PACKET),
    sessionExpiryInterval: int(0, U32),
    receiveMaximum: int(1, U16),
    tls: {
      t: 'object',
      fields: {
        cafile: path,
        capath: path,
        certfile: path,
        keyfile: path,
        insecure: bool,
        tlsVersion: oneOf(TLS_VERSIONS),
      },
    },
  },
};

const logDestinationSpec: Spec = {
  t: 'oneOf',
  of: [
    oneOf(['stdout', 'stderr', 'topic', 'none']),
    { t: 'object', required: ['file'], fields: { file: path } },
  ],
  describe: 'stdout, stderr, topic, none or { file: PATH }',
};

const brokerSpec: Spec = {
  t: 'object',
  fields: {
    listeners: { t: 'array', of: listenerSpec },
    perListenerSettings: bool,
    allowAnonymous: bool,
    passwordFile: path,
    aclFile: path,
    maxInflightMessages: int(0, U16),
    maxQueuedMessages: int(0, U32),
    maxQueuedBytes: int(0, Number.MAX_SAFE_INTEGER),
    flowControl: {
      t: 'object',
      fields: { enabled: bool, maxPauseMs: int(0, U32), windowMs: int(1, U32) },
    },
    messageSizeLimit: int(0, MAX_PACKET),
    maxPacketSize: int(0, MAX_PACKET),
    maxKeepalive: int(0, U16),
    maxTopicAlias: int(0, U16),
    sysInterval: int(0, U32),
    retainAvailable: bool,
    maxQos: int(0, 2),
    queueQos0Messages: bool,
    persistentClientExpiration: { t: 'duration' },
    cluster: {
      t: 'object',
      required: ['url'],
      fields: { url: str, password: secret, prefix: str, maxBuffered: int(0, U32) },
    },
    allowZeroLengthClientId: bool,
    autoIdPrefix: str,
    persistence: {
      t: 'object',
      fields: {
        enabled: bool,
        location: path,
        file: str,
        autosaveInterval: int(0, U32),
        syncEveryCommit: bool,
      },
    },
    log: {
      t: 'object',
      fields: {
        destinations: { t: 'array', of: logDestinationSpec },
        types: {
          t: 'array',
          of: oneOf(LOG_TYPES),
        },
        connectionMessages: bool,
        timestamp: bool,
        timestampFormat: str,
        format: oneOf(['text', 'json']),
      },
    },
    /** Users of the password file who may make changes through the HTTP admin API. */
    httpAdmins: { t: 'array', of: str },
    bridges: { t: 'array', of: bridgeSpec },
  },
};

/** The client flags a profile may set (commands/shared/connection-flags.ts), by long name. */
const PROFILE_FIELDS: Record<string, Spec> = {
  host: str,
  port: int(0, U16),
  url: str,
  username: str,
  password: secret,
  'password-file': path,
  id: str,
  'id-prefix': str,
  keepalive: int(0, U16),
  clean: bool,
  'session-expiry': { t: 'oneOf', of: [int(-1, U32), str], describe: 'seconds, -1 for never' },
  'protocol-version': { t: 'oneOf', of: [str, int(3, 5)], describe: '31, 311 or 5' },
  'will-topic': str,
  'will-payload': str,
  'will-qos': int(0, 2),
  'will-retain': bool,
  cafile: path,
  capath: path,
  cert: path,
  key: path,
  insecure: bool,
  'tls-version': oneOf(TLS_VERSIONS),
  'tls-alpn': str,
  'connect-timeout': int(0, U32),
  reconnect: bool,
  'reconnect-max-delay': int(0, U32),
  debug: bool,
};

/** Both spellings, so that YAML can say `session-expiry` and JS `sessionExpiry`. */
const profileSpec: Spec = {
  t: 'object',
  fields: Object.fromEntries(
    Object.entries(PROFILE_FIELDS).flatMap(([k, spec]) => {
      const camel = k.replace(/-(\w)/g, (_, c: string) => c.toUpperCase());
      return camel === k
        ? [[k, spec]]
        : [
            [k, spec],
            [camel, spec],
          ];
    }),
  ),
};

const rootSpec: Spec = {
  t: 'object',
  fields: { broker: brokerSpec, profiles: { t: 'record', of: profileSpec } },
};

// ---- mapping to BrokerConfig -----------------------------------------------------------------

/** The validated broker section; the shapes follow brokerSpec. */
interface RawBroker {
  listeners?: Array<Partial<Omit<ListenerConfig, 'tls'>> & { port: number; tls?: Partial<TlsSettings> }>;
  perListenerSettings?: boolean;
  allowAnonymous?: boolean;
  passwordFile?: string;
  aclFile?: string;
  persistence?: Partial<PersistenceSettings>;
  flowControl?: Partial<FlowSettings>;
  log?: Partial<Omit<LogSettings, 'destinations'>> & { destinations?: Array<string | { file: string }> };
  cluster?: Partial<ClusterSettings> & { url: string };
  httpAdmins?: string[];
  bridges?: Array<
    Partial<Omit<BridgeConfig, 'addresses' | 'restartTimeout' | 'topics' | 'tls'>> & {
      name: string;
      addresses: string[];
      restartTimeout?: number | number[];
      topics: Array<Partial<BridgeTopicRule> & { pattern: string }>;
      tls?: Partial<NonNullable<BridgeConfig['tls']>>;
    }
  >;
  [key: string]: unknown;
}

function toBrokerConfig(raw: RawBroker, file: string): BrokerConfig {
  const {
    listeners = [],
    perListenerSettings = false,
    allowAnonymous,
    passwordFile,
    aclFile,
    persistence,
    flowControl,
    log,
    bridges = [],
    cluster,
    httpAdmins,
    ...limits
  } = raw;
  const cfg: BrokerConfig = { ...defaultBrokerConfig(), ...(limits as Partial<BrokerConfig>) };
  cfg.perListenerSettings = perListenerSettings;
  const security: SecuritySettings = Object.fromEntries(
    Object.entries({ allowAnonymous, passwordFile, aclFile }).filter(([, v]) => v !== undefined),
  );
  cfg.security = security;

  cfg.listeners = listeners.map((l, i) => {
    const where = `${file}: broker.listeners[${i}]`;
    const { tls, ...plain } = l;
    const listener: ListenerConfig = { protocol: 'mqtt', maxConnections: 0, ...plain, origin: where };
    if (tls) {
      listener.tls = {
        requireCertificate: false,
        useIdentityAsUsername: false,
        useSubjectAsUsername: false,
        ...tls,
      };
    }
    if (l.security && !perListenerSettings) {
      throw configError(
        `${where}.security`,
        'needs perListenerSettings: true (otherwise security is global)',
      );
    }
    if (l.host !== undefined && l.unixSocketPath !== undefined) {
      throw configError(where, `'host' and 'unixSocketPath' cannot both be set`);
    }
    return listener;
  });
  checkListeners(cfg.listeners);
  if (cfg.listeners.length === 0) cfg.listeners.push(defaultListener());
  splitHttpListeners(cfg);
  if (httpAdmins !== undefined) {
    cfg.http ??= { listeners: [], admins: [] };
    cfg.http.admins = httpAdmins;
  }
  if (perListenerSettings && Object.keys(security).length > 0) {
    throw configError(
      `${file}: broker`,
      'with perListenerSettings: true, security settings go in each listener',
    );
  }

  cfg.persistence = { ...cfg.persistence, ...persistence };
  cfg.flowControl = { ...cfg.flowControl, ...flowControl };
  if (cluster) cfg.cluster = { ...defaultClusterSettings(cluster.url), ...cluster };
  if (log) {
    const { destinations, ...rest } = log;
    cfg.log = { ...cfg.log, ...rest };
    if (destinations) {
      cfg.log.destinations = destinations.map(
        (d): LogDestination =>
          typeof d === 'string' ? ({ kind: d } as LogDestination) : { kind: 'file', path: d.file },
      );
    }
  }

  const names = new Set<string>();
  cfg.bridges = bridges.map((b, i) => {
    const where = `${file}: broker.bridges[${i}]`;
    if (names.has(b.name)) throw configError(`${where}.name`, `bridge '${b.name}' is defined twice`);
    names.add(b.name);
    const { addresses, restartTimeout, topics, tls, ...rest } = b;
    const bridge: BridgeConfig = { ...newBridge(b.name, where), ...rest };
    bridge.addresses = addresses.map((a, j) => parseAddress(`${where}.addresses[${j}]`, 'address', a));
    bridge.topics = topics.map((t, j) => {
      const rule: BridgeTopicRule = { direction: 'out', qos: 0, localPrefix: '', remotePrefix: '', ...t };
      checkTopicRule(`${where}.topics[${j}]`, rule);
      return rule;
    });
    if (restartTimeout !== undefined) {
      const [base, cap, ...extra] = typeof restartTimeout === 'number' ? [restartTimeout] : restartTimeout;
      if (base === undefined || extra.length > 0) {
        throw configError(`${where}.restartTimeout`, 'expects seconds, or [base, cap] in seconds');
      }
      bridge.restartTimeout = [base, cap ?? base];
    }
    if (tls) bridge.tls = { insecure: false, ...tls };
    checkBridge(where, bridge);
    return bridge;
  });
  cfg.sources = [file];
  return cfg;
}

// ---- loading ---------------------------------------------------------------------------------

/**
 * Finds mqx's config in searchFrom (default: the working directory) or reads explicitPath.
 * cosmiconfig is imported here, lazily, so that commands without a config do not load it.
 */
export async function loadNativeConfig(
  searchFrom?: string,
  explicitPath?: string,
  options: NativeConfigOptions = {},
): Promise<NativeConfig> {
  const { cosmiconfig } = await import('cosmiconfig');
  // An empty file is still the config the user made, not a reason to look further.
  const explorer = cosmiconfig('mqx', {
    searchPlaces: SEARCH_PLACES,
    cache: false,
    ignoreEmptySearchPlaces: false,
  });
  let result: Awaited<ReturnType<typeof explorer.search>>;
  try {
    result =
      explicitPath !== undefined ? await explorer.load(explicitPath) : await explorer.search(searchFrom);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT') throw new ConfigError(`${explicitPath}: cannot read the file: ENOENT`);
    // YAML and JSON errors already name the file; keep the first line, which has the position.
    const where = explicitPath ?? searchFrom ?? process.cwd();
    const message = String(err.message).split('\n')[0];
    throw new ConfigError(message?.includes(where) ? message : `${where}: ${message}`);
  }
  if (!result) return { filepath: undefined, profiles: {} };
  const file = result.filepath;
  const base = dirname(file);
  const content = result.isEmpty ? {} : (result.config as unknown);
  const valid = validate(content, rootSpec, '', {
    file,
    env: options.env,
    mapPath: (p) => (isAbsolute(p) ? p : resolve(base, p)),
  }) as { broker?: RawBroker; profiles?: Record<string, Record<string, unknown>> };
  const config: NativeConfig = { filepath: file, profiles: valid.profiles ?? {} };
  if (valid.broker) config.broker = toBrokerConfig(valid.broker, file);
  return config;
}
