import type { BrokerConfig, SecuritySettings } from '../config/broker-config.js';
import type { BrokerLog } from './log.js';

export type AuthResult = { ok: true } | { ok: false; reason: 'bad-credentials' | 'not-authorized' };

/** What the broker asks of authentication and authorization, per listener or for all. */
export interface AccessControl {
  readonly allowsAnonymous: boolean;
  /** An ACL is in force: deliveries must be checked. */
  readonly hasAcl: boolean;
  /** Synchronous when no password needs checking (anonymous clients, no password file). */
  authenticate(request: {
    clientId: string;
    username?: string;
    password?: Buffer;
  }): AuthResult | Promise<AuthResult>;
  canPublish(clientId: string, username: string | undefined, topic: string): boolean;
  canSubscribe(clientId: string, username: string | undefined, filter: string): boolean;
  canReceive(clientId: string, username: string | undefined, topic: string): boolean;
}

/** Builds the access control of every listener (or the global one) from the configuration. */
export async function openAccess(config: BrokerConfig, log: BrokerLog): Promise<AccessControl[]> {
  const { Authenticator } = await import('./auth/index.js');
  // Listeners named in a config file end mosquitto's local-only mode (and its anonymous default).
  const explicitListeners = config.listeners.some((l) => l.origin !== undefined);
  const build = async (security: SecuritySettings) => {
    const auth = new Authenticator(security, { explicitListeners });
    await auth.reload();
    return auth;
  };
  if (!config.perListenerSettings) return [await build(config.security)];
  const all: AccessControl[] = [];
  for (const listener of config.listeners) all.push(await build(listener.security ?? {}));
  log.debug(`per_listener_settings: ${all.length} listeners with their own security.`);
  return all;
}
