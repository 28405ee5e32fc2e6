/** Listener checks shared by both config formats; errors name each listener's origin. */
import type { BrokerConfig, ListenerConfig } from './broker-config.js';
import { configError } from './values.js';

function checkTls(where: string, listener: ListenerConfig): void {
  const tls = listener.tls;
  if (!tls) return;
  const label = `listener ${listener.unixSocketPath ?? listener.port}`;
  if (tls.certfile === undefined || tls.keyfile === undefined) {
    throw configError(where, `${label}: TLS needs both 'certfile' and 'keyfile'`);
  }
  if (tls.requireCertificate && tls.cafile === undefined && tls.capath === undefined) {
    throw configError(where, `${label}: 'require_certificate' needs 'cafile' or 'capath'`);
  }
  if (listener.unixSocketPath !== undefined) {
    throw configError(where, `${label}: TLS is not available on a unix socket`);
  }
}

/** TLS settings that cannot work, and two listeners on the same address (the second would fail to bind). */
export function checkListeners(listeners: readonly ListenerConfig[]): void {
  listeners.forEach((l, i) => {
    const where = l.origin ?? `listener ${l.port}`;
    checkTls(where, l);
    const clash = listeners
      .slice(0, i)
      .find(
        (o) =>
          o.port === l.port && l.port !== 0 && o.host === l.host && o.unixSocketPath === l.unixSocketPath,
      );
    if (clash) {
      throw configError(
        where,
        `listener ${l.port}${l.host ? ` ${l.host}` : ''} is already defined at ${clash.origin}`,
      );
    }
  });
}

/**
 * Moves `protocol http_api` listeners to `config.http`: the broker opens MQTT listeners only, and
 * their indexes (per_listener_settings) stay those of the MQTT listeners.
 */
export function splitHttpListeners(config: BrokerConfig): void {
  const http = config.listeners.filter((l) => l.protocol === 'http_api');
  if (http.length === 0) return;
  config.listeners = config.listeners.filter((l) => l.protocol !== 'http_api');
  config.http ??= { listeners: [], admins: [] };
  config.http.listeners.push(...http);
}
