import type { SecuritySettings } from '../../config/broker-config.js';
import { ReasonCode } from '../../protocol/reason-codes.js';
import { type Acl, type ClientAcl, isBrokerOnlyTopic, loadAclFile } from './acl.js';
import type { PasswordFile } from './password-file.js';

export type AuthFailure = 'bad-credentials' | 'not-authorized';
export type AuthResult = { ok: true } | { ok: false; reason: AuthFailure };

export interface AuthRequest {
  clientId: string;
  username?: string;
  password?: Buffer;
}

export interface AuthenticatorOptions {
  /** The configuration names a listener (`listener` or `port`), so mosquitto is not in local-only mode. */
  explicitListeners: boolean;
}

/**
 * mosquitto 2.0.11, observed: an unset allow_anonymous means true only in local-only mode (no
 * `listener` or `port` in the config), whether or not a password file is configured; with any
 * listener configured it means false. (mosquitto even ignores an explicit `allow_anonymous false`
 * in local-only mode; mqx honours what the user wrote.)
 */
export function resolveAllowAnonymous(security: SecuritySettings, explicitListeners: boolean): boolean {
  return security.allowAnonymous ?? !explicitListeners;
}

/**
 * The 5.0 reason code to refuse with (3.1.1 clients get connackCodeForV4 of it). mosquitto 2.0.11
 * answers "not authorized" (0x87, or 5 for 3.1/3.1.1) for a wrong password and an unknown user as
 * well as for a refused anonymous client, so mqx does the same; the reason stays for the log.
 */
export function refusalReasonCode(_reason: AuthFailure): number {
  return ReasonCode.NotAuthorized;
}

const OK: AuthResult = { ok: true };
const NOT_AUTHORIZED: AuthResult = { ok: false, reason: 'not-authorized' };
const BAD_CREDENTIALS: AuthResult = { ok: false, reason: 'bad-credentials' };

/** An empty username connects as anonymous in mosquitto (observed), for the ACL too. */
function named(username: string | undefined): string | undefined {
  return username === '' ? undefined : username;
}

/**
 * Authentication (allow_anonymous, password_file) and authorization (acl_file) of one listener, or
 * of the whole broker. Call reload() before use and on SIGHUP.
 */
export class Authenticator {
  readonly allowsAnonymous: boolean;
  private passwords: PasswordFile | undefined;
  private acl: Acl | undefined;
  private loaded = false;

  constructor(
    private readonly security: SecuritySettings,
    options: AuthenticatorOptions,
  ) {
    this.allowsAnonymous = resolveAllowAnonymous(security, options.explicitListeners);
  }

  /** An ACL is in force: every delivery must be checked with canReceive. */
  get hasAcl(): boolean {
    return this.security.aclFile !== undefined;
  }

  /**
   * Reads the password and ACL files. Both are read before either is swapped in, so a file broken
   * while the broker runs makes reload() throw and leaves the previous rules in force.
   */
  async reload(): Promise<void> {
    const { passwordFile, aclFile } = this.security;
    const [passwords, acl] = await Promise.all([
      // Imported here: node:crypto costs an idle broker without a password file about 1 MB.
      passwordFile === undefined
        ? undefined
        : import('./password-file.js').then((m) => m.loadPasswordFile(passwordFile)),
      aclFile === undefined ? undefined : loadAclFile(aclFile),
    ]);
    this.passwords = passwords;
    this.acl = acl;
    this.loaded = true;
  }

  private ensureLoaded(): void {
    // Failing loudly: answering before the files are read would let everyone in.
    if (!this.loaded) throw new Error('Authenticator used before reload()');
  }

  authenticate(request: AuthRequest): AuthResult | Promise<AuthResult> {
    this.ensureLoaded();
    const username = named(request.username);
    // Without a password file nothing can vouch for a username: the client counts as anonymous.
    if (username === undefined || this.passwords === undefined)
      return this.allowsAnonymous ? OK : NOT_AUTHORIZED;
    if (request.password === undefined) return BAD_CREDENTIALS;
    const verified = this.passwords.verify(username, request.password);
    if (typeof verified === 'boolean') return verified ? OK : BAD_CREDENTIALS;
    return verified.then((ok) => (ok ? OK : BAD_CREDENTIALS));
  }

  /** The compiled ACL of one client, for brokers that keep it per connection; undefined without acl_file. */
  forClient(clientId: string, username: string | undefined): ClientAcl | undefined {
    this.ensureLoaded();
    return this.acl?.forClient(clientId, named(username));
  }

  canPublish(clientId: string, username: string | undefined, topic: string): boolean {
    return this.forClient(clientId, username)?.canPublish(topic) ?? !isBrokerOnlyTopic(topic);
  }

  canSubscribe(clientId: string, username: string | undefined, filter: string): boolean {
    return this.forClient(clientId, username)?.canSubscribe(filter) ?? true;
  }

  canReceive(clientId: string, username: string | undefined, topic: string): boolean {
    return this.forClient(clientId, username)?.canReceive(topic) ?? true;
  }
}
