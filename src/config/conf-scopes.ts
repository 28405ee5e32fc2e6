/**
 * The state of one mosquitto.conf read, and the scopes its directives apply to: general options
 * anywhere; listener options to the latest `listener` (or, before the first one, to the default
 * listener that `port` opens); security options globally unless per_listener_settings is true;
 * bridge options to the latest `connection`.
 */
import type {
  BridgeConfig,
  BrokerConfig,
  ClusterSettings,
  ListenerConfig,
  SecuritySettings,
  TlsSettings,
} from './broker-config.js';
import type { Line } from './conf-lines.js';
import { configError } from './values.js';

export interface ParseState {
  readonly cfg: BrokerConfig;
  readonly env: NodeJS.ProcessEnv | undefined;
  readonly mapPath: (path: string) => string;
  readonly warn: (line: Line, message: string) => void;
  /** Reads an included file into this state (`include_dir`). */
  readonly include: (file: string, includedFrom: string) => void;
  /** Created by `port` or by listener options before the first `listener`. */
  defaultListener?: ListenerConfig;
  listener?: ListenerConfig;
  bridge?: BridgeConfig;
  /** Where the first security directive stands: per_listener_settings after it would come too late. */
  scopedSeen?: string;
  logDestsSet: boolean;
  logTypesSet: boolean;
}

export type Handler = (state: ParseState, line: Line) => void;

export function theDefaultListener(state: ParseState, line: Line): ListenerConfig {
  if (!state.defaultListener) {
    // mosquitto: a default listener without `port` listens on 1883, on every interface.
    state.defaultListener = { port: 1883, protocol: 'mqtt', maxConnections: 0, origin: line.where };
  }
  return state.defaultListener;
}

export function clusterOf(state: ParseState, line: Line): ClusterSettings {
  if (state.cfg.cluster === undefined)
    throw configError(line.where, `'${line.key}' needs a 'cluster redis://HOST:PORT' line before it`);
  return state.cfg.cluster;
}

export function currentListener(state: ParseState, line: Line): ListenerConfig {
  return state.listener ?? theDefaultListener(state, line);
}

export function tlsOf(state: ParseState, line: Line): TlsSettings {
  const listener = currentListener(state, line);
  listener.tls ??= { requireCertificate: false, useIdentityAsUsername: false, useSubjectAsUsername: false };
  return listener.tls;
}

export function securityOf(state: ParseState, line: Line): SecuritySettings {
  state.scopedSeen ??= line.where;
  if (!state.cfg.perListenerSettings) return state.cfg.security;
  const listener = currentListener(state, line);
  listener.security ??= {};
  return listener.security;
}

export function bridgeOf(state: ParseState, line: Line): BridgeConfig {
  if (!state.bridge) throw configError(line.where, `'${line.key}' must follow a 'connection' line`);
  return state.bridge;
}

export function bridgeTls(state: ParseState, line: Line): NonNullable<BridgeConfig['tls']> {
  const bridge = bridgeOf(state, line);
  bridge.tls ??= { insecure: false };
  return bridge.tls;
}
