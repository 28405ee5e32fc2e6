/**
 * The connection flags that pub, sub, bridge and bench share, and the one function that turns them
 * into ClientOptions. Precedence, highest first: the command line, MQX_* environment variables
 * (MQX_HOST, MQX_PORT, MQX_PASSWORD...: the flag's long name upper-cased, dashes as underscores),
 * the named profile of mqx.config.* (`profiles: { default: {...} }`), then built-in defaults.
 * That is why no option below has a yargs default: a default would hide the env and the profile.
 */
import { readFileSync } from 'node:fs';
import type { Argv, Options } from 'yargs';
import type { ClientOptions, ReconnectOptions, TraceHook } from '../../src/client/options.js';
import { hasConfigFile } from '../../src/config/search-places.js';
import { UsageError } from '../../src/errors.js';
import type { ProtocolVersion, QoS } from '../../src/protocol/types.js';
import type { TlsOptions } from '../../src/transport/dial.js';
import { DEFAULT_PORTS, parseBrokerUrl, type Scheme } from '../../src/transport/url.js';
import { type CommandProperties, parseProperties } from './properties.js';
import { typedValue } from './typed-value.js';

const GROUP = 'Connection:';

/** yargs parser settings of every command with connection flags. */
export const CONNECTION_PARSER = {
  // -D takes 3 or 4 words; --no-clean, --no-local... are flags of their own, as in mosquitto.
  'greedy-arrays': true,
  'boolean-negation': false,
};

/** The connection flags: this table is what both yargs and the fast parser (fast-args.ts) read. */
export const CONNECTION_OPTIONS = {
  host: {
    alias: 'h',
    type: 'string',
    group: GROUP,
    describe: 'broker host',
    defaultDescription: 'localhost',
  },
  port: {
    alias: 'p',
    type: 'number',
    group: GROUP,
    describe: 'broker port',
    defaultDescription: '1883, 8883 with TLS',
  },
  url: {
    alias: 'L',
    type: 'string',
    group: GROUP,
    describe: 'mqtt(s)://[user[:password]@]host[:port]/topic or ws(s)://host[:port]/path',
  },
  username: { alias: 'u', type: 'string', group: GROUP },
  password: { alias: 'P', type: 'string', group: GROUP },
  'password-file': {
    type: 'string',
    group: GROUP,
    describe: 'read the password from a file (first line)',
  },
  id: {
    alias: 'i',
    type: 'string',
    group: GROUP,
    describe: 'client id',
    defaultDescription: 'mqx-PID-RANDOM',
  },
  'id-prefix': {
    alias: 'I',
    type: 'string',
    group: GROUP,
    describe: 'client id = prefix + process id',
  },
  keepalive: {
    alias: 'k',
    type: 'number',
    group: GROUP,
    describe: 'keep alive, seconds (0 = off)',
    defaultDescription: '60',
  },
  'no-clean': {
    alias: 'c',
    type: 'boolean',
    group: GROUP,
    describe: 'keep the session (no clean session / clean start)',
  },
  'session-expiry': {
    alias: 'x',
    type: 'string',
    group: GROUP,
    describe: 'MQTT 5 session expiry, seconds; -1 = never',
    defaultDescription: '-1 with -c, else 0',
  },
  'protocol-version': {
    alias: 'V',
    type: 'string',
    group: GROUP,
    describe: '31, 311 or 5 (also mqttv31, mqttv311, mqttv5)',
    defaultDescription: '311',
  },
  'will-topic': { type: 'string', group: GROUP },
  'will-payload': { type: 'string', group: GROUP },
  'will-qos': { type: 'number', group: GROUP },
  'will-retain': { type: 'boolean', group: GROUP },
  cafile: {
    type: 'string',
    group: GROUP,
    describe: 'trusted CA certificates (PEM); enables TLS',
  },
  capath: {
    type: 'string',
    group: GROUP,
    describe: 'directory of CA certificates; enables TLS',
  },
  cert: { type: 'string', group: GROUP, describe: 'client certificate (PEM)' },
  key: { type: 'string', group: GROUP, describe: 'client private key (PEM)' },
  insecure: { type: 'boolean', group: GROUP, describe: 'do not verify the server certificate' },
  'tls-version': { type: 'string', group: GROUP, describe: 'tlsv1.3, tlsv1.2 or tlsv1.1' },
  'tls-alpn': {
    type: 'string',
    group: GROUP,
    describe: 'ALPN protocol to offer (none by default)',
  },
  property: {
    alias: 'D',
    type: 'string',
    array: true,
    group: GROUP,
    describe: 'MQTT 5 property: -D COMMAND IDENTIFIER VALUE (user-property takes KEY VALUE)',
  },
  'connect-timeout': {
    type: 'number',
    group: GROUP,
    describe: 'seconds to reach the broker, retries included (exit 5)',
    defaultDescription: '30',
  },
  reconnect: {
    type: 'boolean',
    group: GROUP,
    describe: 'reconnect with backoff when the connection drops',
  },
  'no-reconnect': {
    type: 'boolean',
    group: GROUP,
    describe: 'exit 3 when the connection drops (sub reconnects by default once connected)',
  },
  'reconnect-max-delay': {
    type: 'number',
    group: GROUP,
    describe: 'longest wait between reconnects, s',
    defaultDescription: '30',
  },
  debug: {
    alias: 'd',
    type: 'boolean',
    group: GROUP,
    describe: 'trace every packet on stderr',
  },
  profile: {
    type: 'string',
    group: GROUP,
    describe: 'use profiles.NAME from mqx.config.*',
    defaultDescription: 'default',
  },
} satisfies Record<string, Options>;

export function connectionFlags<T>(y: Argv<T>): Argv<T> {
  y = y.parserConfiguration(CONNECTION_PARSER);
  // One .option() call per flag, not .options(): bench's builder rewrites the no-clean call.
  for (const [key, spec] of Object.entries(CONNECTION_OPTIONS)) y = y.option(key, spec);
  return y;
}

/** The argv keys connectionFlags defines (long names). */
const KEYS = [
  'host',
  'port',
  'url',
  'username',
  'password',
  'password-file',
  'id',
  'id-prefix',
  'keepalive',
  'no-clean',
  'session-expiry',
  'protocol-version',
  'will-topic',
  'will-payload',
  'will-qos',
  'will-retain',
  'cafile',
  'capath',
  'cert',
  'key',
  'insecure',
  'tls-version',
  'tls-alpn',
  'connect-timeout',
  'reconnect',
  'no-reconnect',
  'reconnect-max-delay',
  'debug',
] as const;

type Key = (typeof KEYS)[number];
type Raw = Partial<Record<Key | 'clean', string | number | boolean>>;

export interface ConnectionArgv {
  property?: string[];
  profile?: string;
  [key: string]: unknown;
}

/** What the command needs besides ClientOptions: the URL's topic and the -D properties for other packets. */
export interface ResolvedConnection {
  options: ClientOptions;
  /** Topic from an mqtt(s) URL path (-L), if any. */
  urlTopic?: string;
  properties: CommandProperties;
  /** Tokens after the last -D that belong to no property: positionals the greedy -D swallowed. */
  extraPositionals: string[];
  debug: boolean;
  /**
   * Neither --reconnect nor --no-reconnect: the backoff for a command that reconnects by default
   * once its first connection was accepted (a first connection that fails still fails at once).
   */
  reconnectOnceConnected?: ReconnectOptions;
}

function camel(key: string): string {
  return key.replace(/-(\w)/g, (_, c: string) => c.toUpperCase());
}

function envName(key: string): string {
  return `MQX_${key.toUpperCase().replace(/-/g, '_')}`;
}

/** A profile only costs a cosmiconfig import when one is asked for or a config file is right here. */
async function loadProfile(name: string | undefined, env: NodeJS.ProcessEnv, cwd: string): Promise<Raw> {
  const explicit = name ?? env.MQX_PROFILE;
  if (explicit === undefined && !hasConfigFile(cwd)) return {};
  const { loadNativeConfig } = await import('../../src/config/native.js');
  const config = await loadNativeConfig(cwd, undefined, { env });
  const profiles = (config?.profiles ?? {}) as Record<string, Record<string, unknown>>;
  const profile = profiles[explicit ?? 'default'];
  if (profile === undefined) {
    if (explicit === undefined) return {};
    throw new UsageError(`no profile "${explicit}" in ${config?.filepath ?? 'any mqx config file'}`);
  }
  const raw: Raw = {};
  for (const key of [...KEYS, 'clean'] as const) {
    const value = profile[key] ?? profile[camel(key)];
    if (value !== undefined) raw[key] = value as string | number | boolean;
  }
  return raw;
}

function pick(argv: ConnectionArgv, env: NodeJS.ProcessEnv, profile: Raw): Raw {
  const raw: Raw = {};
  for (const key of KEYS) {
    const value = argv[key] ?? env[envName(key)] ?? profile[key];
    if (value !== undefined) raw[key] = value as string | number | boolean;
  }
  return raw;
}

function num(value: unknown, flag: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max || (typeof value === 'string' && value.trim() === '')) {
    const alias = (CONNECTION_OPTIONS as Record<string, Options>)[flag]?.alias;
    const typed = Number.isNaN(value) ? typedValue([flag, ...[alias ?? []].flat()]) : undefined;
    throw new UsageError(`--${flag} must be a number from ${min} to ${max}, got "${typed ?? value}"`);
  }
  return n;
}

function bool(value: unknown): boolean | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'boolean') return value;
  return !/^(0|false|no|off|)$/i.test(String(value));
}

export function parseProtocolVersion(value: unknown): ProtocolVersion {
  switch (String(value ?? '311').toLowerCase()) {
    case '31':
    case '3':
    case 'mqttv31':
      return 3;
    case '311':
    case '4':
    case 'mqttv311':
      return 4;
    case '5':
    case 'mqttv5':
      return 5;
    default:
      throw new UsageError(
        `--protocol-version must be 31, 311 or 5 (or mqttv31, mqttv311, mqttv5), got "${value}"`,
      );
  }
}

export function parseQos(value: unknown, flag = 'qos'): QoS {
  const n = Number(value);
  if (n !== 0 && n !== 1 && n !== 2) throw new UsageError(`--${flag} must be 0, 1 or 2, got "${value}"`);
  return n;
}

function sessionExpiry(value: unknown, persistent: boolean): number | undefined {
  if (value === undefined) return persistent ? 0xffffffff : undefined;
  const text = String(value);
  if (text === '-1' || text === '∞') return 0xffffffff;
  return num(text, 'session-expiry', 0, 0xffffffff);
}

function readPassword(file: string): string {
  try {
    return readFileSync(file, 'utf8').split(/\r?\n/)[0] ?? '';
  } catch (err) {
    throw new UsageError(
      `cannot read --password-file ${file}: ${(err as NodeJS.ErrnoException).code ?? err}`,
    );
  }
}

/** Formats a traced packet as one stderr line for --debug. */
function debugTrace(): TraceHook {
  return (direction, packet) => {
    const { type, ...rest } = packet as { type: string; payload?: Buffer };
    const fields = Object.entries(rest)
      .filter(([k]) => k !== 'payload' && k !== 'password')
      .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`);
    if (rest.payload) fields.push(`payload=${rest.payload.length}B`);
    process.stderr.write(`${direction === 'out' ? '→' : '←'} ${type.toUpperCase()} ${fields.join(' ')}\n`);
  };
}

/**
 * Turns parsed flags into ClientOptions. `env` and `cwd` are parameters so tests need not touch
 * the process.
 */
export async function resolveConnection(
  argv: ConnectionArgv,
  env: NodeJS.ProcessEnv = process.env,
  cwd: string = process.cwd(),
): Promise<ResolvedConnection> {
  const profile = await loadProfile(argv.profile, env, cwd);
  const raw = pick(argv, env, profile);
  const version = parseProtocolVersion(raw['protocol-version']);
  const { properties, rest } = parseProperties(argv.property ?? []);

  const url = raw.url !== undefined ? parseBrokerUrl(String(raw.url)) : undefined;
  const tls: TlsOptions = {};
  if (raw.cafile !== undefined) tls.cafile = String(raw.cafile);
  if (raw.capath !== undefined) tls.capath = String(raw.capath);
  if (raw.cert !== undefined) tls.cert = String(raw.cert);
  if (raw.key !== undefined) tls.key = String(raw.key);
  if (bool(raw.insecure)) tls.insecure = true;
  if (raw['tls-version'] !== undefined) tls.tlsVersion = String(raw['tls-version']);
  if (raw['tls-alpn'] !== undefined) tls.alpn = [String(raw['tls-alpn'])];
  const wantsTls =
    tls.cafile !== undefined || tls.capath !== undefined || tls.cert !== undefined || tls.insecure === true;
  let scheme: Scheme = url?.scheme ?? (wantsTls ? 'mqtts' : 'mqtt');
  // mosquitto turns TLS on by --cafile; a ws:// URL with --cafile becomes wss://.
  if (wantsTls && scheme === 'ws') scheme = 'wss';
  if (wantsTls && scheme === 'mqtt') scheme = 'mqtts';

  // -h/-p given on the command line beat the URL's; the URL beats env and profile values.
  const host =
    (argv.host as string | undefined) ??
    url?.host ??
    (raw.host !== undefined ? String(raw.host) : 'localhost');
  const port = num(argv.port ?? url?.port ?? raw.port, 'port', 1, 65535) ?? DEFAULT_PORTS[scheme];

  let password = argv.password !== undefined ? String(argv.password) : url?.password;
  if (password === undefined && argv['password-file'] !== undefined)
    password = readPassword(String(argv['password-file']));
  if (password === undefined && raw.password !== undefined) password = String(raw.password);
  if (password === undefined && raw['password-file'] !== undefined)
    password = readPassword(String(raw['password-file']));
  const username =
    (argv.username as string | undefined) ??
    url?.username ??
    (raw.username !== undefined ? String(raw.username) : undefined);
  if (password !== undefined && username === undefined && version !== 5) {
    throw new UsageError('a password needs a username (-u) before MQTT 5');
  }

  const persistent = bool(raw['no-clean']) === true || bool(profile.clean) === false;
  const options: ClientOptions = {
    broker: {
      scheme,
      host,
      port,
      ...(url?.wsPath ? { wsPath: url.wsPath } : {}),
      ...(wantsTls || scheme === 'mqtts' || scheme === 'wss' ? { tls } : {}),
    },
    protocolVersion: version,
    clean: !persistent,
    keepalive: num(raw.keepalive, 'keepalive', 0, 65535) ?? 60,
    connectTimeoutMs: (num(raw['connect-timeout'], 'connect-timeout', 0.001, 86_400) ?? 30) * 1000,
  };
  if (raw.id !== undefined) options.clientId = String(raw.id);
  else if (raw['id-prefix'] !== undefined) options.clientId = `${raw['id-prefix']}${process.pid}`;
  if (persistent && !options.clientId && version !== 5) {
    throw new UsageError('-c/--no-clean needs a client id (-i or -I): the broker keeps the session under it');
  }
  if (username !== undefined) options.username = username;
  if (password !== undefined) options.password = password;
  if (version === 5) {
    const expiry = sessionExpiry(raw['session-expiry'], persistent);
    if (expiry !== undefined) options.sessionExpiry = expiry;
    if (properties.connect) options.properties = properties.connect;
  } else if (Object.keys(properties).length > 0) {
    throw new UsageError('-D properties need MQTT 5 (-V 5)');
  }
  if (raw['will-topic'] !== undefined) {
    options.will = {
      topic: String(raw['will-topic']),
      payload: Buffer.from(raw['will-payload'] !== undefined ? String(raw['will-payload']) : ''),
      qos: parseQos(raw['will-qos'] ?? 0, 'will-qos'),
      retain: bool(raw['will-retain']) ?? false,
      ...(properties.will ? { properties: properties.will } : {}),
    };
  } else if (raw['will-payload'] !== undefined) {
    throw new UsageError('--will-payload needs --will-topic');
  }
  const reconnect: ReconnectOptions = {
    minDelayMs: 250,
    maxDelayMs: (num(raw['reconnect-max-delay'], 'reconnect-max-delay', 0.001, 86_400) ?? 30) * 1000,
  };
  const on = bool(raw.reconnect);
  const off = bool(raw['no-reconnect']);
  if (on && off) throw new UsageError('--reconnect and --no-reconnect contradict each other');
  if (on) options.reconnect = reconnect;
  const debug = bool(raw.debug) ?? false;
  if (debug) options.trace = debugTrace();
  return {
    options,
    ...(url?.topic !== undefined ? { urlTopic: url.topic } : {}),
    properties,
    extraPositionals: rest,
    debug,
    ...(on || off ? {} : { reconnectOnceConnected: reconnect }),
  };
}
