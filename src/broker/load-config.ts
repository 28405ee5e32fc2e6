import path from 'node:path';
import {
  type BrokerConfig,
  defaultBrokerConfig,
  defaultClusterSettings,
  defaultListener,
} from '../config/broker-config.js';
import { hasConfigFile } from '../config/search-places.js';
import { ConfigError, UsageError } from '../errors.js';

export interface BrokerConfigRequest {
  configFile?: string;
  ports: number[];
  verbose: boolean;
  persistenceDir?: string;
  /** --cluster: the Redis URL; other cluster settings come from the config file. */
  clusterUrl?: string;
  /** Re-roots absolute paths of a config (tests run the course's configs unchanged). */
  pathPrefix?: string;
  /** --http [HOST:]PORT: an admin HTTP listener, on loopback without a host. */
  http?: string;
  /** --log-format. */
  logFormat?: 'text' | 'json';
}

/** `[HOST:]PORT`, `[::1]:PORT` for IPv6; the host defaults to loopback. */
export function parseHttpAddress(value: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]:|([^:]+):)?(\d+)$/.exec(value);
  const port = match ? Number(match[3]) : Number.NaN;
  if (!match || port > 65535) throw new UsageError(`--http expects [HOST:]PORT, got '${value}'`);
  return { host: match[1] ?? match[2] ?? '127.0.0.1', port };
}

const NATIVE = /\.(json|ya?ml|js|mjs|cjs)$|(^|\/)\.mqxrc/;

/**
 * The broker's effective configuration: a mosquitto.conf or mqx config file when given (else an
 * mqx config found by cosmiconfig), then the command line on top, as mosquitto applies -p and -v.
 */
export async function loadBrokerConfig(req: BrokerConfigRequest): Promise<BrokerConfig> {
  let config: BrokerConfig | undefined;
  if (req.configFile !== undefined) {
    if (NATIVE.test(path.basename(req.configFile))) {
      const { loadNativeConfig } = await import('../config/native.js');
      const native = await loadNativeConfig(undefined, req.configFile);
      if (!native.broker) throw new ConfigError(`${req.configFile}: no 'broker' section`);
      config = native.broker;
    } else {
      const { parseMosquittoConf } = await import('../config/mosquitto-conf.js');
      // Its warnings stay in config.warnings: --check prints them, the broker logs them at start.
      config = parseMosquittoConf(req.configFile, { pathPrefix: req.pathPrefix, onWarning: () => {} });
    }
  } else if (hasConfigFile(process.cwd())) {
    const { loadNativeConfig } = await import('../config/native.js');
    config = (await loadNativeConfig(process.cwd())).broker;
  }
  config ??= defaultBrokerConfig();
  if (req.ports.length > 0) {
    // As mosquitto: -p replaces the default listener; without a config file it stays on loopback.
    const local = req.configFile === undefined;
    config.listeners = [
      ...config.listeners.filter((l) => l.origin !== undefined),
      ...req.ports.map((port) =>
        local ? defaultListener(port) : { ...defaultListener(port), host: undefined, ipv6Loopback: false },
      ),
    ];
  }
  if (config.listeners.length === 0) config.listeners = [defaultListener()];
  if (req.http !== undefined) {
    config.http ??= { listeners: [], admins: [] };
    config.http.listeners.push({ ...parseHttpAddress(req.http), protocol: 'http_api', maxConnections: 0 });
  }
  if (req.logFormat !== undefined) config.log = { ...config.log, format: req.logFormat };
  if (req.verbose) config.log = { ...config.log, verbose: true };
  if (req.persistenceDir !== undefined) {
    config.persistence = { ...config.persistence, enabled: true, location: req.persistenceDir };
  }
  if (req.clusterUrl !== undefined) {
    config.cluster = { ...(config.cluster ?? defaultClusterSettings(req.clusterUrl)), url: req.clusterUrl };
  }
  return config;
}
