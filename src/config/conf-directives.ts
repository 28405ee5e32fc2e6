/**
 * The mosquitto.conf directives mqx reads, by name, with mosquitto 2.0's meaning, scoping and
 * defaults; those it knows but cannot honour are refused by name rather than ignored.
 */
import { readdirSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { validateTopicName } from '../topics/validate.js';
import { newBridge, parseAddress, parseTopicTokens } from './bridge-rules.js';
import { defaultClusterSettings, type ListenerConfig, LOG_TYPES, type TlsSettings } from './broker-config.js';
import { bool, choice, first, int, type Line, strictChoice, text, word } from './conf-lines.js';
import {
  bridgeOf,
  bridgeTls,
  clusterOf,
  currentListener,
  type Handler,
  type ParseState,
  securityOf,
  theDefaultListener,
  tlsOf,
} from './conf-scopes.js';
import { configError, parseDuration, parseIntInRange, resolveSecret } from './values.js';

function path(state: ParseState, line: Line): string {
  return state.mapPath(text(line));
}

function secret(state: ParseState, line: Line): string {
  return resolveSecret(line.where, line.key, text(line), { env: state.env, mapPath: state.mapPath });
}

const TLS_VERSIONS = ['tlsv1.3', 'tlsv1.2', 'tlsv1.1'] as const;
const MAX_PACKET = 268435455;
const U16 = 65535;
const U32 = 4294967295;

function logDest(state: ParseState, line: Line): void {
  const log = state.cfg.log;
  // The first log_dest replaces mosquitto's default destination instead of adding to it.
  if (!state.logDestsSet) log.destinations = [];
  state.logDestsSet = true;
  const kind = line.args[0];
  switch (kind) {
    case 'stdout':
    case 'stderr':
    case 'topic':
      first(line, state.warn);
      log.destinations = log.destinations.filter((d) => d.kind !== 'none');
      if (!log.destinations.some((d) => d.kind === kind)) log.destinations.push({ kind });
      return;
    case 'none':
      first(line, state.warn);
      log.destinations = [{ kind: 'none' }];
      return;
    case 'syslog':
    case 'dlt':
      first(line, state.warn);
      state.warn(line, `'log_dest ${kind}' is not available in mqx; logging to stderr instead`);
      log.destinations = log.destinations.filter((d) => d.kind !== 'none');
      if (!log.destinations.some((d) => d.kind === 'stderr')) log.destinations.push({ kind: 'stderr' });
      return;
    case 'file': {
      const file = line.rest.slice('file'.length).trim();
      if (file === '') throw configError(line.where, `'log_dest file' expects a path`);
      log.destinations = log.destinations.filter((d) => d.kind !== 'none');
      log.destinations.push({ kind: 'file', path: state.mapPath(file) });
      return;
    }
    default:
      throw configError(
        line.where,
        `'log_dest' expects stdout, stderr, file PATH, topic, syslog or none, got '${kind ?? ''}'`,
      );
  }
}

function logType(state: ParseState, line: Line): void {
  const value = choice(line, state.warn, LOG_TYPES);
  // As with log_dest, the first log_type replaces the default set.
  if (!state.logTypesSet) state.cfg.log.types = [];
  state.logTypesSet = true;
  if (!state.cfg.log.types.includes(value)) state.cfg.log.types.push(value);
}

function listener(state: ParseState, line: Line): void {
  if (line.args.length > 2)
    throw configError(line.where, `'listener' expects PORT [ADDRESS], got '${line.rest}'`);
  const port = parseIntInRange(line.where, line.key, line.args[0], 0, U16);
  const address = line.args[1];
  const entry: ListenerConfig = { port, protocol: 'mqtt', maxConnections: 0, origin: line.where };
  if (address !== undefined) {
    // mosquitto: port 0 with a path is a unix socket rather than a TCP listener.
    if (port === 0 && address.includes('/')) entry.unixSocketPath = state.mapPath(address);
    else entry.host = address;
  }
  state.cfg.listeners.push(entry);
  state.listener = entry;
}

function socketDomain(state: ParseState, line: Line): void {
  const domain = choice(line, state.warn, ['ipv4', 'ipv6'] as const);
  const target = currentListener(state, line);
  // No address family field: binding the family's wildcard address has the same effect.
  target.host ??= domain === 'ipv4' ? '0.0.0.0' : '::';
}

function bindInterface(state: ParseState, line: Line): void {
  const name = word(line);
  const addresses = networkInterfaces()[name];
  if (!addresses || addresses.length === 0) {
    throw configError(line.where, `'bind_interface' names '${name}', which is not a network interface here`);
  }
  // Node cannot bind to a device, so bind the interface's address (IPv4 first, as most clients use).
  const chosen = addresses.find((a) => a.family === 'IPv4') ?? addresses[0]!;
  currentListener(state, line).host = chosen.address;
  state.warn(line, `'bind_interface ${name}' binds ${chosen.address}, the interface's address`);
}

function connection(state: ParseState, line: Line): void {
  const name = line.args[0];
  if (name === undefined) throw configError(line.where, `'connection' expects a bridge name`);
  if (line.args.length > 1) {
    state.warn(
      line,
      `'connection ${line.rest}': bridge names cannot contain spaces; mosquitto uses the first word, so this bridge is named '${name}' (ignoring '${line.args.slice(1).join(' ')}')`,
    );
  }
  const duplicate = state.cfg.bridges.find((b) => b.name === name);
  if (duplicate) throw configError(line.where, `bridge '${name}' is already defined at ${duplicate.origin}`);
  state.bridge = newBridge(name, line.where);
  state.cfg.bridges.push(state.bridge);
}

function addresses(state: ParseState, line: Line): void {
  const bridge = bridgeOf(state, line);
  if (line.args.length === 0) throw configError(line.where, `'${line.key}' expects host[:port] ...`);
  if (bridge.addresses.length > 0) {
    throw configError(
      line.where,
      `bridge '${bridge.name}' has a second 'address' line; list every address on one`,
    );
  }
  bridge.addresses = line.args.map((a) => parseAddress(line.where, line.key, a));
}

function restartTimeout(state: ParseState, line: Line): void {
  const bridge = bridgeOf(state, line);
  if (line.args.length === 0 || line.args.length > 2) {
    throw configError(line.where, `'restart_timeout' expects BASE [CAP] in seconds, got '${line.rest}'`);
  }
  const base = parseIntInRange(line.where, line.key, line.args[0], 1, U32);
  // One value is mosquitto's constant delay; two are the base and cap of a backoff.
  const cap = line.args[1] === undefined ? base : parseIntInRange(line.where, line.key, line.args[1], 1, U32);
  bridge.restartTimeout = [base, cap];
}

function notificationTopic(state: ParseState, line: Line): void {
  const topic = text(line);
  const invalid = validateTopicName(topic);
  if (invalid) throw configError(line.where, `'notification_topic': ${invalid}`);
  bridgeOf(state, line).notificationTopic = topic;
}

function includeDir(state: ParseState, line: Line): void {
  const dir = path(state, line);
  let names: string[];
  try {
    names = readdirSync(dir, { withFileTypes: true })
      .filter((entry) => !entry.isDirectory())
      .map((entry) => entry.name);
  } catch (e) {
    throw configError(
      line.where,
      `'include_dir' cannot read ${dir}: ${(e as NodeJS.ErrnoException).code ?? e}`,
    );
  }
  // mosquitto reads *.conf in C-locale (byte) order, which localeCompare would not give.
  const files = names
    .filter((n) => n.endsWith('.conf'))
    .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
    .map((n) => join(dir, n));
  for (const file of files) state.include(file, line.where);
}

/** Accepted for compatibility, with a warning because the user might expect an effect. */
function ignored(reason: string): Handler {
  return (state, line) => state.warn(line, `'${line.key}' is ignored: ${reason}`);
}

/** Known mosquitto directives whose semantics mqx does not implement: refusing beats ignoring. */
export const UNSUPPORTED = [
  'auth_plugin',
  'plugin',
  'psk_file',
  'psk_hint',
  'max_inflight_bytes',
  'memory_limit',
  'upgrade_outgoing_qos',
  'check_retain_source',
  'clientid_prefixes',
  'use_username_as_clientid',
  'tls_engine',
  'tls_engine_kpass_sha1',
  'tls_keyform',
  'bridge_alpn',
  'bridge_bind_address',
  'bridge_identity',
  'bridge_psk',
  'bridge_require_ocsp',
  'bridge_reload_type',
  'bridge_tls_use_os_certs',
  'local_bind_address',
];

export const DIRECTIVES: Record<string, Handler> = {
  // general
  per_listener_settings: (s, l) => {
    if (s.scopedSeen) {
      throw configError(
        l.where,
        `'per_listener_settings' must come before the security options (first at ${s.scopedSeen})`,
      );
    }
    s.cfg.perListenerSettings = bool(l, s.warn);
  },
  allow_anonymous: (s, l) => {
    securityOf(s, l).allowAnonymous = bool(l, s.warn);
  },
  password_file: (s, l) => {
    securityOf(s, l).passwordFile = path(s, l);
  },
  acl_file: (s, l) => {
    securityOf(s, l).aclFile = path(s, l);
  },
  allow_zero_length_clientid: (s, l) => {
    s.cfg.allowZeroLengthClientId = bool(l, s.warn);
  },
  auto_id_prefix: (s, l) => {
    s.cfg.autoIdPrefix = text(l);
  },
  max_inflight_messages: (s, l) => {
    s.cfg.maxInflightMessages = int(l, s.warn, 0, U16);
  },
  max_queued_messages: (s, l) => {
    s.cfg.maxQueuedMessages = int(l, s.warn, 0, U32);
  },
  max_queued_bytes: (s, l) => {
    s.cfg.maxQueuedBytes = int(l, s.warn, 0, Number.MAX_SAFE_INTEGER);
  },
  // mqx: the flow control of src/broker/flow-control.ts; the times are in seconds.
  flow_control: (s, l) => {
    s.cfg.flowControl.enabled = bool(l, s.warn);
  },
  flow_control_max_pause: (s, l) => {
    s.cfg.flowControl.maxPauseMs = int(l, s.warn, 0, 86_400) * 1000;
  },
  flow_control_window: (s, l) => {
    s.cfg.flowControl.windowMs = int(l, s.warn, 1, 86_400) * 1000;
  },
  max_qos: (s, l) => {
    s.cfg.maxQos = int(l, s.warn, 0, 2) as 0 | 1 | 2;
  },
  message_size_limit: (s, l) => {
    s.cfg.messageSizeLimit = int(l, s.warn, 0, MAX_PACKET);
  },
  max_packet_size: (s, l) => {
    s.cfg.maxPacketSize = int(l, s.warn, 0, MAX_PACKET);
  },
  max_keepalive: (s, l) => {
    s.cfg.maxKeepalive = int(l, s.warn, 0, U16);
  },
  // A listener option in mosquitto; BrokerConfig has one value, so the last one wins.
  max_topic_alias: (s, l) => {
    s.cfg.maxTopicAlias = int(l, s.warn, 0, U16);
  },
  sys_interval: (s, l) => {
    s.cfg.sysInterval = int(l, s.warn, 0, U32);
  },
  retain_available: (s, l) => {
    s.cfg.retainAvailable = bool(l, s.warn);
  },
  queue_qos0_messages: (s, l) => {
    s.cfg.queueQos0Messages = bool(l, s.warn);
  },
  persistent_client_expiration: (s, l) => {
    s.cfg.persistentClientExpiration = parseDuration(l.where, l.key, first(l, s.warn));
  },
  persistence: (s, l) => {
    s.cfg.persistence.enabled = bool(l, s.warn);
  },
  persistence_location: (s, l) => {
    s.cfg.persistence.location = path(s, l);
  },
  persistence_file: (s, l) => {
    s.cfg.persistence.file = text(l);
  },
  autosave_interval: (s, l) => {
    s.cfg.persistence.autosaveInterval = int(l, s.warn, 0, U32);
  },
  // mqx only: the Redis that joins this broker to a cluster (src/cluster), and its settings.
  cluster: (s, l) => {
    s.cfg.cluster = defaultClusterSettings(word(l));
  },
  cluster_password: (s, l) => {
    clusterOf(s, l).password = secret(s, l);
  },
  cluster_prefix: (s, l) => {
    clusterOf(s, l).prefix = word(l);
  },
  cluster_max_buffered: (s, l) => {
    clusterOf(s, l).maxBuffered = int(l, s.warn, 0, U32);
  },
  // mqx only: fsync every commit (SQLite synchronous=FULL) so it survives a power loss too.
  persistence_sync: (s, l) => {
    s.cfg.persistence.syncEveryCommit = bool(l, s.warn);
  },
  // mqx commits every event-loop turn, which is at least as often as any autosave setting.
  autosave_on_changes: (s, l) => void bool(l, s.warn),
  set_tcp_nodelay: (s, l) => void bool(l, s.warn),
  log_dest: logDest,
  log_type: logType,
  log_timestamp: (s, l) => {
    s.cfg.log.timestamp = bool(l, s.warn);
  },
  log_timestamp_format: (s, l) => {
    s.cfg.log.timestampFormat = text(l);
  },
  // mqx only: one JSON object per log line.
  log_format: (s, l) => {
    s.cfg.log.format = strictChoice(l, ['text', 'json'] as const);
  },
  connection_messages: (s, l) => {
    s.cfg.log.connectionMessages = bool(l, s.warn);
  },
  include_dir: includeDir,
  user: ignored('mqx does not change user; start it as the user it should run as'),
  pid_file: ignored('mqx writes no pid file'),
  log_facility: ignored('mqx does not log to syslog'),
  websockets_log_level: ignored('mqx has no separate WebSocket log'),
  websockets_headers_size: ignored('mqx sizes WebSocket headers itself'),
  allow_duplicate_messages: ignored('deprecated in mosquitto 2.0; duplicates are always delivered'),

  // listeners
  port: (s, l) => {
    const listener = theDefaultListener(s, l);
    listener.port = int(l, s.warn, 0, U16);
    listener.origin = l.where;
  },
  bind_address: (s, l) => {
    // mosquitto applies it to the default listener wherever it stands; after a `listener` line that
    // would silently open a second listener, so say where the address belongs instead.
    if (s.listener && !s.defaultListener) {
      throw configError(
        l.where,
        `'bind_address' applies only to the default listener ('port'); give the address on the listener line: 'listener ${s.listener.port} ${word(l)}'`,
      );
    }
    theDefaultListener(s, l).host = word(l);
  },
  listener,
  socket_domain: socketDomain,
  bind_interface: bindInterface,
  protocol: (s, l) => {
    currentListener(s, l).protocol = choice(l, s.warn, ['mqtt', 'websockets', 'http_api'] as const);
  },
  max_connections: (s, l) => {
    const max = parseIntInRange(l.where, l.key, first(l, s.warn), -1, U32);
    currentListener(s, l).maxConnections = Math.max(max, 0);
  },
  mount_point: (s, l) => {
    const mountPoint = text(l);
    const invalid = validateTopicName(mountPoint);
    if (invalid) throw configError(l.where, `'mount_point': ${invalid}`);
    currentListener(s, l).mountPoint = mountPoint;
  },
  http_dir: ignored('mqx serves its own dashboard on an http_api listener'),
  // mqx only: a password-file user who may make changes through the HTTP admin API.
  http_admin: (s, l) => {
    s.cfg.http ??= { listeners: [], admins: [] };
    s.cfg.http.admins.push(word(l));
  },
  certfile: (s, l) => {
    tlsOf(s, l).certfile = path(s, l);
  },
  keyfile: (s, l) => {
    tlsOf(s, l).keyfile = path(s, l);
  },
  // mqx extension: the pass phrase of an encrypted keyfile, usually as ${ENV} or file:PATH.
  keyfile_password: (s, l) => {
    tlsOf(s, l).keyPassword = secret(s, l);
  },
  cafile: (s, l) => {
    tlsOf(s, l).cafile = path(s, l);
  },
  capath: (s, l) => {
    tlsOf(s, l).capath = path(s, l);
  },
  crlfile: (s, l) => {
    tlsOf(s, l).crlfile = path(s, l);
  },
  require_certificate: (s, l) => {
    tlsOf(s, l).requireCertificate = bool(l, s.warn);
  },
  use_identity_as_username: (s, l) => {
    tlsOf(s, l).useIdentityAsUsername = bool(l, s.warn);
  },
  use_subject_as_username: (s, l) => {
    tlsOf(s, l).useSubjectAsUsername = bool(l, s.warn);
  },
  tls_version: (s, l) => {
    tlsOf(s, l).tlsVersion = strictChoice(l, TLS_VERSIONS);
  },
  // Node takes TLS 1.2 and 1.3 suites in one list, so both directives feed `ciphers`.
  ciphers: (s, l) => appendCiphers(tlsOf(s, l), word(l)),
  'ciphers_tls1.3': (s, l) => appendCiphers(tlsOf(s, l), word(l)),
  dhparamfile: ignored('Node negotiates ECDHE; finite-field DH parameters are not used'),

  // bridges
  connection,
  address: addresses,
  addresses,
  round_robin: (s, l) => {
    bridgeOf(s, l).roundRobin = bool(l, s.warn);
  },
  topic: (s, l) => {
    const rule = parseTopicTokens(l.where, l.args);
    bridgeOf(s, l).topics.push({ ...rule, origin: l.where });
  },
  remote_clientid: (s, l) => {
    bridgeOf(s, l).remoteClientId = word(l);
  },
  local_clientid: (s, l) => {
    bridgeOf(s, l).localClientId = word(l);
  },
  remote_username: (s, l) => {
    bridgeOf(s, l).remoteUsername = text(l);
  },
  remote_password: (s, l) => {
    bridgeOf(s, l).remotePassword = secret(s, l);
  },
  local_username: (s, l) => {
    bridgeOf(s, l).localUsername = text(l);
  },
  local_password: (s, l) => {
    bridgeOf(s, l).localPassword = secret(s, l);
  },
  cleansession: (s, l) => {
    bridgeOf(s, l).cleanSession = bool(l, s.warn);
  },
  local_cleansession: (s, l) => {
    bridgeOf(s, l).localCleanSession = bool(l, s.warn);
  },
  keepalive_interval: (s, l) => {
    bridgeOf(s, l).keepaliveInterval = int(l, s.warn, 0, U16);
  },
  bridge_protocol_version: (s, l) => {
    bridgeOf(s, l).protocolVersion = strictChoice(l, ['mqttv31', 'mqttv311', 'mqttv50'] as const);
  },
  try_private: (s, l) => {
    bridgeOf(s, l).tryPrivate = bool(l, s.warn);
  },
  notifications: (s, l) => {
    bridgeOf(s, l).notifications = bool(l, s.warn);
  },
  notification_topic: notificationTopic,
  notifications_local_only: (s, l) => {
    bridgeOf(s, l).notificationsLocalOnly = bool(l, s.warn);
  },
  restart_timeout: restartTimeout,
  start_type: (s, l) => {
    bridgeOf(s, l).startType = choice(l, s.warn, ['automatic', 'lazy', 'once'] as const);
  },
  threshold: (s, l) => {
    bridgeOf(s, l).threshold = int(l, s.warn, 1, U32);
  },
  idle_timeout: (s, l) => {
    bridgeOf(s, l).idleTimeout = int(l, s.warn, 1, U32);
  },
  bridge_attempt_unsubscribe: (s, l) => {
    bridgeOf(s, l).attemptUnsubscribe = bool(l, s.warn);
  },
  bridge_outgoing_retain: (s, l) => {
    bridgeOf(s, l).outgoingRetain = bool(l, s.warn);
  },
  bridge_max_packet_size: (s, l) => {
    bridgeOf(s, l).maxPacketSize = int(l, s.warn, 0, MAX_PACKET);
  },
  bridge_session_expiry_interval: (s, l) => {
    bridgeOf(s, l).sessionExpiryInterval = int(l, s.warn, 0, U32);
  },
  bridge_receive_maximum: (s, l) => {
    bridgeOf(s, l).receiveMaximum = int(l, s.warn, 1, U16);
  },
  bridge_cafile: (s, l) => {
    bridgeTls(s, l).cafile = path(s, l);
  },
  bridge_capath: (s, l) => {
    bridgeTls(s, l).capath = path(s, l);
  },
  bridge_certfile: (s, l) => {
    bridgeTls(s, l).certfile = path(s, l);
  },
  bridge_keyfile: (s, l) => {
    bridgeTls(s, l).keyfile = path(s, l);
  },
  bridge_insecure: (s, l) => {
    bridgeTls(s, l).insecure = bool(l, s.warn);
  },
  bridge_tls_version: (s, l) => {
    bridgeTls(s, l).tlsVersion = strictChoice(l, TLS_VERSIONS);
  },
};

// Deprecated mosquitto spellings that still work there.
export const ALIASES: Record<string, string> = {
  clientid: 'remote_clientid',
  username: 'remote_username',
  password: 'remote_password',
};

function appendCiphers(tls: TlsSettings, list: string): void {
  tls.ciphers = tls.ciphers ? `${tls.ciphers}:${list}` : list;
}
