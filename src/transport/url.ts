/**
 * Broker URLs as users type them: mqtt://, mqtts://, ws://, wss://, with optional credentials and,
 * for mqtt(s), a topic path as mosquitto's -L takes it (`mqtt://user:pass@host:port/topic`).
 * For ws(s) the path is the WebSocket path (default /mqtt), because that is what a server needs.
 */
import { UsageError } from '../errors.js';

export type Scheme = 'mqtt' | 'mqtts' | 'ws' | 'wss';

export interface BrokerUrl {
  scheme: Scheme;
  host: string;
  port: number;
  username?: string;
  password?: string;
  /** mqtt(s) only: the topic given as the URL path, without the leading slash. */
  topic?: string;
  /** ws(s) only: the HTTP path of the WebSocket endpoint. */
  wsPath?: string;
}

export const DEFAULT_PORTS: Record<Scheme, number> = { mqtt: 1883, mqtts: 8883, ws: 80, wss: 443 };

const SCHEMES = new Set<string>(['mqtt', 'mqtts', 'ws', 'wss']);

export function isTls(scheme: Scheme): boolean {
  return scheme === 'mqtts' || scheme === 'wss';
}

export function parseBrokerUrl(text: string): BrokerUrl {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(
      `invalid broker URL "${text}": expected mqtt(s)://[user[:password]@]host[:port][/topic]`,
    );
  }
  const scheme = url.protocol.replace(/:$/, '');
  if (!SCHEMES.has(scheme)) {
    throw new UsageError(`unsupported URL scheme "${scheme}:" in "${text}": use mqtt, mqtts, ws or wss`);
  }
  // WHATWG URL keeps IPv6 brackets; the dialers want the bare address.
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!host) throw new UsageError(`broker URL "${text}" has no host`);
  const s = scheme as Scheme;
  const result: BrokerUrl = { scheme: s, host, port: url.port ? Number(url.port) : DEFAULT_PORTS[s] };
  if (url.username) result.username = decodeURIComponent(url.username);
  if (url.password) result.password = decodeURIComponent(url.password);
  if (s === 'ws' || s === 'wss') {
    const path = url.pathname;
    result.wsPath = path && path !== '/' ? path + url.search : '/mqtt';
  } else {
    // Taken from the raw text: URL parsing would treat a topic's '#' as a fragment and drop it.
    const afterScheme = text.slice(text.indexOf('://') + 3);
    const slash = afterScheme.indexOf('/');
    const topic = slash === -1 ? '' : decodeURIComponent(afterScheme.slice(slash + 1));
    if (topic) result.topic = topic;
  }
  return result;
}
