/**
 * Bridge settings shared by both config formats: defaults (mosquitto 2.0's), addresses, and the
 * `topic` rule with mosquitto's validation, so that a rule rejected by mosquitto is rejected here
 * with the same reasoning.
 */
import { anchoredFillable } from '../bridge/topic-map.js';
import { validateTopicFilter } from '../topics/validate.js';
import type { BridgeConfig, BridgeDirection, BridgeTopicRule } from './broker-config.js';
import { configError, parseChoice, parseIntInRange } from './values.js';

export function newBridge(name: string, origin: string): BridgeConfig {
  return {
    name,
    addresses: [],
    roundRobin: false,
    topics: [],
    cleanSession: false,
    keepaliveInterval: 60,
    protocolVersion: 'mqttv311',
    tryPrivate: true,
    notifications: true,
    notificationsLocalOnly: false,
    restartTimeout: [5, 30],
    startType: 'automatic',
    threshold: 10,
    idleTimeout: 60,
    attemptUnsubscribe: true,
    outgoingRetain: true,
    maxPacketSize: 0,
    origin,
  };
}

/** `host[:port]`, or `[v6-address]:port`; the port defaults to 1883. */
export function parseAddress(where: string, key: string, raw: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+))(?::([^:]*))?$/.exec(raw);
  if (!m) throw configError(where, `'${key}' expects host[:port], got '${raw}'`);
  const host = (m[1] ?? m[2])!;
  const port = m[3] === undefined ? 1883 : parseIntInRange(where, `${key}' port of '${raw}`, m[3], 1, 65535);
  return { host, port };
}

const DIRECTIONS: readonly BridgeDirection[] = ['out', 'in', 'both'];

/** mosquitto writes an empty pattern or prefix as two double quotes. */
function unquote(token: string): string {
  return token === '""' ? '' : token;
}

/** `topic PATTERN [[[out|in|both] QOS] LOCAL_PREFIX REMOTE_PREFIX]`, tokens after the keyword. */
export function parseTopicTokens(where: string, tokens: string[]): BridgeTopicRule {
  if (tokens.length === 0) throw configError(where, `'topic' expects a pattern`);
  if (tokens.length === 4)
    throw configError(where, `'topic' needs both a local and a remote prefix, or neither`);
  if (tokens.length > 5)
    throw configError(where, `'topic' has too many values: '${tokens.slice(5).join(' ')}'`);
  const rule: BridgeTopicRule = {
    pattern: unquote(tokens[0]!),
    direction: tokens[1] === undefined ? 'out' : parseChoice(where, 'topic direction', tokens[1], DIRECTIONS),
    qos: tokens[2] === undefined ? 0 : (parseIntInRange(where, 'topic QoS', tokens[2], 0, 2) as 0 | 1 | 2),
    localPrefix: tokens[3] === undefined ? '' : unquote(tokens[3]),
    remotePrefix: tokens[4] === undefined ? '' : unquote(tokens[4]),
  };
  checkTopicRule(where, rule);
  return rule;
}

/**
 * mosquitto's rules: the pattern is a subscription filter; prefixes are plain topic text (no
 * wildcards); an empty pattern means "the prefix is the whole topic", so both prefixes are needed;
 * and prefix plus pattern must still be a valid filter on each side.
 */
export function checkTopicRule(where: string, rule: BridgeTopicRule): void {
  if (rule.pattern === '') {
    if (rule.localPrefix === '' || rule.remotePrefix === '') {
      throw configError(where, `'topic' with an empty pattern ("") needs both a local and a remote prefix`);
    }
    checkAnchoredRule(where, rule);
    return;
  }
  for (const [side, prefix] of [
    ['local', rule.localPrefix],
    ['remote', rule.remotePrefix],
  ] as const) {
    if (prefix.includes('+') || prefix.includes('#')) {
      throw configError(where, `'topic' ${side} prefix '${prefix}' must not contain + or #`);
    }
  }
  if (rule.pattern.startsWith('$share/')) {
    throw configError(where, `'topic' pattern '${rule.pattern}' must not be a shared subscription`);
  }
  for (const prefix of [rule.localPrefix, rule.remotePrefix]) {
    const invalid = validateTopicFilter(prefix + rule.pattern);
    if (invalid) throw configError(where, `'topic' pattern: ${invalid}`);
  }
}

/**
 * mqx's wildcard-anchored remapping (beyond mosquitto): with an empty pattern, the "prefixes" may
 * be filters, e.g. local `site1/#` for remote `+/sensors/#`. Each must be a valid filter, and every
 * direction the rule carries must be able to write what the source matched into the destination
 * (a `#` needs a `#`; `+` levels are carried one for one, or all dropped).
 */
function checkAnchoredRule(where: string, rule: BridgeTopicRule): void {
  const sides = [
    ['local', rule.localPrefix],
    ['remote', rule.remotePrefix],
  ] as const;
  if (!sides.some(([, f]) => f.includes('+') || f.includes('#'))) return;
  for (const [side, filter] of sides) {
    const invalid = validateTopicFilter(filter);
    if (invalid) throw configError(where, `'topic' ${side} filter '${filter}': ${invalid}`);
  }
  const check = (from: string, to: string, way: string) => {
    if (!anchoredFillable(from, to))
      throw configError(
        where,
        `'topic' cannot carry '${from}' to '${to}' (${way}): the destination's wildcards need a '#' for a '#' and as many '+' as the source, or none`,
      );
  };
  if (rule.direction !== 'in') check(rule.localPrefix, rule.remotePrefix, 'out');
  if (rule.direction !== 'out') check(rule.remotePrefix, rule.localPrefix, 'in');
}

/** The checks that need the whole block; `where` is the `connection` line. */
export function checkBridge(where: string, bridge: BridgeConfig): void {
  const label = `bridge '${bridge.name}'`;
  if (bridge.addresses.length === 0) throw configError(where, `${label}: 'address' is missing`);
  if (bridge.topics.length === 0)
    throw configError(where, `${label}: no 'topic' rule, so nothing would be bridged`);
  if (bridge.remotePassword !== undefined && bridge.remoteUsername === undefined) {
    throw configError(where, `${label}: 'remote_password' needs 'remote_username'`);
  }
  if (bridge.localPassword !== undefined && bridge.localUsername === undefined) {
    throw configError(where, `${label}: 'local_password' needs 'local_username'`);
  }
  const tls = bridge.tls;
  if (tls) {
    if ((tls.certfile === undefined) !== (tls.keyfile === undefined)) {
      throw configError(where, `${label}: 'bridge_certfile' and 'bridge_keyfile' must be given together`);
    }
    if (tls.cafile === undefined && tls.capath === undefined) {
      throw configError(where, `${label}: TLS needs 'bridge_cafile' or 'bridge_capath'`);
    }
  }
  const [base, cap] = bridge.restartTimeout;
  if (cap < base)
    throw configError(where, `${label}: 'restart_timeout' cap ${cap} is below the base ${base}`);
}
