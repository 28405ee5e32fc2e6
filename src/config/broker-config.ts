import type { FlowSettings } from '../broker/flow-control.js';
/**
 * The one validated broker configuration. Both the mosquitto.conf parser and mqx's own
 * cosmiconfig format produce it; the broker reads nothing else. Names follow mosquitto's
 * directives in camelCase, and defaults are mosquitto 2.0's.
 */

/** `http_api` (mosquitto 2.1) serves the admin API, metrics and dashboard (src/admin), not MQTT. */
export type ListenerProtocol = 'mqtt' | 'websockets' | 'http_api';

export interface TlsSettings {
  certfile?: string;
  keyfile?: string;
  cafile?: string;
  capath?: string;
  /** Mutual TLS: refuse clients without a certificate signed by cafile/capath. */
  requireCertificate: boolean;
  useIdentityAsUsername: boolean;
  useSubjectAsUsername: boolean;
  /** Minimum version, e.g. 'tlsv1.2'. */
  tlsVersion?: string;
  ciphers?: string;
  crlfile?: string;
  keyPassword?: string;
}

/** Authentication and authorization; global, or per listener with per_listener_settings. */
export interface SecuritySettings {
  /** undefined means mosquitto 2.0's default: true when no listener and no auth is configured. */
  allowAnonymous?: boolean;
  passwordFile?: string;
  aclFile?: string;
}

export interface ListenerConfig {
  /** 0 asks the OS for a free port (logged once bound). */
  port: number;
  /** Bind address; undefined binds every interface. A path when `socketDomain` is 'unix'. */
  host?: string;
  /** `listener 0 /path/to/socket` in mosquitto. */
  unixSocketPath?: string;
  protocol: ListenerProtocol;
  /** 0 = unlimited (mosquitto: -1). */
  maxConnections: number;
  /** Prefix added to every topic of this listener's clients. */
  mountPoint?: string;
  /** TLS when certfile and keyfile are set. */
  tls?: TlsSettings;
  /** Used when per_listener_settings is true. */
  security?: SecuritySettings;
  /** WebSocket only: the HTTP path clients must use; undefined accepts any path. */
  httpPath?: string;
  /** Where the listener came from, for error messages: "file:line". */
  origin?: string;
  /** With host 127.0.0.1: listen on ::1 too, on the same port, where the machine has IPv6 (as mosquitto). */
  ipv6Loopback?: boolean;
}

export type LogDestination =
  | { kind: 'stdout' }
  | { kind: 'stderr' }
  | { kind: 'file'; path: string }
  | { kind: 'topic' }
  | { kind: 'none' };

/** mosquitto's log_type values, in mosquitto's order. */
export const LOG_TYPES = [
  'debug',
  'error',
  'warning',
  'notice',
  'information',
  'subscribe',
  'unsubscribe',
  'websockets',
  'none',
  'all',
] as const;

export type LogType = (typeof LOG_TYPES)[number];

export interface LogSettings {
  destinations: LogDestination[];
  types: LogType[];
  connectionMessages: boolean;
  timestamp: boolean;
  /** strftime format, as mosquitto's log_timestamp_format. */
  timestampFormat?: string;
  /** -v on the command line: every log type to stdout/stderr. */
  verbose: boolean;
  /** mqx `log_format json` / --log-format json: one JSON object a line instead of mosquitto's text. */
  format?: 'text' | 'json';
}

/** The HTTP admin listeners (src/admin), kept apart from the MQTT listeners the broker opens. */
export interface HttpApiSettings {
  listeners: ListenerConfig[];
  /** `http_admin USER`: users of the password file allowed to disconnect, delete and publish. */
  admins: string[];
}

export interface PersistenceSettings {
  enabled: boolean;
  /** Directory of the store. */
  location: string;
  /**
   * File name inside location when given (persistence_file); else the broker picks its own
   * file there, so that brokers sharing the folder keep apart (src/broker/store/choose.ts).
   */
  file?: string;
  /** Seconds; kept for mosquitto compatibility (mqx commits every turn). */
  autosaveInterval: number;
  /** fsync every commit so that it survives a power loss, not only a crash of the process. */
  syncEveryCommit: boolean;
}

/** `--cluster`: nodes that name the same Redis form one logical broker (src/cluster). */
export interface ClusterSettings {
  /** redis://[user:password@]host:port[/db] or rediss:// for TLS. */
  url: string;
  /** The Redis password when it is not in the URL (`${NAME}` and `file:PATH` resolved). */
  password?: string;
  /** Key prefix: nodes with different prefixes on one Redis are different clusters. */
  prefix: string;
  /** QoS 0 forwards held while Redis is unreachable before new ones are dropped. */
  maxBuffered: number;
}

export type BridgeDirection = 'in' | 'out' | 'both';

export interface BridgeTopicRule {
  pattern: string;
  direction: BridgeDirection;
  qos: 0 | 1 | 2;
  localPrefix: string;
  remotePrefix: string;
  origin?: string;
}

export interface BridgeConfig {
  name: string;
  addresses: Array<{ host: string; port: number }>;
  roundRobin: boolean;
  topics: BridgeTopicRule[];
  remoteClientId?: string;
  localClientId?: string;
  remoteUsername?: string;
  remotePassword?: string;
  localUsername?: string;
  localPassword?: string;
  cleanSession: boolean;
  localCleanSession?: boolean;
  keepaliveInterval: number;
  protocolVersion: 'mqttv31' | 'mqttv311' | 'mqttv50';
  tryPrivate: boolean;
  notifications: boolean;
  notificationTopic?: string;
  notificationsLocalOnly: boolean;
  /** Seconds: [base, cap] of the reconnect backoff; mosquitto's single value means a fixed delay. */
  restartTimeout: [number, number];
  startType: 'automatic' | 'lazy' | 'once';
  threshold: number;
  idleTimeout: number;
  attemptUnsubscribe: boolean;
  outgoingRetain: boolean;
  maxPacketSize: number;
  sessionExpiryInterval?: number;
  receiveMaximum?: number;
  tls?: {
    cafile?: string;
    capath?: string;
    certfile?: string;
    keyfile?: string;
    insecure: boolean;
    tlsVersion?: string;
  };
  origin?: string;
}

export interface BrokerConfig {
  listeners: ListenerConfig[];
  perListenerSettings: boolean;
  /** Global security, used unless per_listener_settings is true. */
  security: SecuritySettings;
  /** 0 = unlimited. mosquitto default 20. */
  maxInflightMessages: number;
  /** 0 = unlimited. mosquitto default 1000. */
  maxQueuedMessages: number;
  /** 0 = unlimited. */
  maxQueuedBytes: number;
  /** What an online session at its queue limits does to its publishers (src/broker/flow-control.ts). */
  flowControl: FlowSettings;
  /** Largest PUBLISH payload accepted; 0 = unlimited. */
  messageSizeLimit: number;
  /** Largest packet accepted (MQTT 5 Maximum Packet Size advertised); 0 = unlimited. */
  maxPacketSize: number;
  /** Upper bound on a client's keep alive, seconds; 5.0 clients are told via Server Keep Alive. */
  maxKeepalive: number;
  /** Topic Alias Maximum advertised to 5.0 clients. mosquitto default 10. */
  maxTopicAlias: number;
  /** Seconds between $SYS updates; 0 disables $SYS. */
  sysInterval: number;
  retainAvailable: boolean;
  /** Highest QoS accepted and granted (mosquitto max_qos); 5.0 clients are told via Maximum QoS. */
  maxQos: 0 | 1 | 2;
  /** Also queue QoS 0 messages for offline persistent sessions. */
  queueQos0Messages: boolean;
  /** Seconds after which a disconnected 3.1.1 persistent session is removed; undefined = never. */
  persistentClientExpiration?: number;
  allowZeroLengthClientId: boolean;
  autoIdPrefix: string;
  persistence: PersistenceSettings;
  log: LogSettings;
  bridges: BridgeConfig[];
  cluster?: ClusterSettings;
  /** Present only when an http_api listener or --http is configured. */
  http?: HttpApiSettings;
  /** The files this configuration was read from, for --check and reloads. */
  sources: string[];
  /** FILE:LINE: lines accepted but not honoured as written; --check prints them, the broker logs them. */
  warnings: string[];
}

/** mosquitto 2.0's defaults, with one listener on the loopback interface at 1883. */
export function defaultBrokerConfig(): BrokerConfig {
  return {
    listeners: [],
    perListenerSettings: false,
    security: {},
    maxInflightMessages: 20,
    maxQueuedMessages: 1000,
    maxQueuedBytes: 0,
    flowControl: { enabled: true, maxPauseMs: 5000, windowMs: 60_000 },
    messageSizeLimit: 0,
    maxPacketSize: 0,
    maxKeepalive: 65535,
    maxTopicAlias: 10,
    sysInterval: 10,
    retainAvailable: true,
    maxQos: 2,
    queueQos0Messages: false,
    allowZeroLengthClientId: true,
    autoIdPrefix: 'auto-',
    persistence: {
      enabled: false,
      location: '',
      autosaveInterval: 1800,
      syncEveryCommit: false,
    },
    log: {
      destinations: [{ kind: 'stderr' }],
      types: ['error', 'warning', 'notice', 'information'],
      connectionMessages: true,
      timestamp: true,
      verbose: false,
    },
    bridges: [],
    sources: [],
    warnings: [],
  };
}

export function defaultClusterSettings(url: string): ClusterSettings {
  return { url, prefix: 'mqx', maxBuffered: 100_000 };
}

/** The listener mosquitto 2.0 opens when no config names one: 1883 (or -p), loopback only. */
export function defaultListener(port = 1883): ListenerConfig {
  return { port, host: '127.0.0.1', ipv6Loopback: true, protocol: 'mqtt', maxConnections: 0 };
}
