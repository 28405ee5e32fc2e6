/**
 * Who is calling. Without a password file (loopback only) the caller is the local operator. With
 * one, every request brings HTTP Basic credentials, checked as MQTT CONNECT's are (the PBKDF2 of
 * password-file.ts, off the event loop); changes need a user named by `http_admin`, and what any
 * other user reads is filtered by that user's MQTT read ACL.
 */
import { stat } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import type { Authenticator } from '../broker/auth/index.js';
import { loadPasswordFile, type PasswordFile } from '../broker/auth/password-file.js';
import type { BrokerLog } from '../broker/log.js';
import type { SecuritySettings } from '../config/broker-config.js';
import { HttpError } from './http-error.js';

export interface Caller {
  readonly user: string | undefined;
  readonly admin: boolean;
  canRead(topic: string): boolean;
  canWrite(topic: string): boolean;
}

/** ACL checks name this client id, so `%c` patterns never match an HTTP caller by accident. */
const HTTP_CLIENT_ID = 'mqx-http-api';
/** Failed logins an address may make within the window before it is refused for the rest of it. */
const MAX_FAILURES = 5;
const WINDOW_MS = 60_000;
/** Addresses remembered at most: a scan from many addresses must not grow the map without end. */
const MAX_TRACKED = 10_000;
/** How often the password file is looked at for changes. */
const RECHECK_MS = 2_000;

const OPERATOR: Caller = { user: undefined, admin: true, canRead: () => true, canWrite: () => true };

export class AdminAuth {
  private readonly failures = new Map<string, { count: number; since: number }>();
  private checkedAt = Date.now();
  private fileChangedAt = 0;

  private constructor(
    private passwords: PasswordFile | undefined,
    private readonly access: Authenticator,
    private readonly admins: readonly string[],
    private readonly log: BrokerLog,
  ) {}

  static async open(
    security: SecuritySettings,
    admins: readonly string[],
    log: BrokerLog,
  ): Promise<AdminAuth> {
    const { Authenticator } = await import('../broker/auth/index.js');
    const access = new Authenticator(security, { explicitListeners: true });
    await access.reload();
    const passwords =
      security.passwordFile === undefined
        ? undefined
        : await import('../broker/auth/password-file.js').then((m) =>
            m.loadPasswordFile(security.passwordFile!),
          );
    const auth = new AdminAuth(passwords, access, admins, log);
    if (passwords) auth.fileChangedAt = (await stat(passwords.path)).mtimeMs;
    return auth;
  }

  /**
   * The password file as it is now: `mqx passwd` while the broker runs takes effect within a few
   * seconds, as a SIGHUP does for MQTT clients. A file that cannot be read keeps the old one.
   */
  private async current(): Promise<PasswordFile | undefined> {
    const now = Date.now();
    if (this.passwords === undefined || now - this.checkedAt < RECHECK_MS) return this.passwords;
    this.checkedAt = now;
    try {
      const changedAt = (await stat(this.passwords.path)).mtimeMs;
      if (changedAt !== this.fileChangedAt) {
        this.passwords = await loadPasswordFile(this.passwords.path);
        this.fileChangedAt = changedAt;
      }
    } catch (err) {
      this.log.warning(
        `HTTP admin: cannot reload ${this.passwords.path}: ${err instanceof Error ? err.message : err}`,
      );
    }
    return this.passwords;
  }

  get required(): boolean {
    return this.passwords !== undefined;
  }

  async authenticate(req: IncomingMessage): Promise<Caller> {
    if (this.passwords === undefined) return OPERATOR;
    const address = req.socket.remoteAddress ?? '?';
    const now = Date.now();
    const record = this.failures.get(address);
    if (record !== undefined && now - record.since >= WINDOW_MS) this.failures.delete(address);
    else if (record !== undefined && record.count >= MAX_FAILURES) {
      const wait = Math.ceil((record.since + WINDOW_MS - now) / 1000);
      throw new HttpError(429, 'too many failed logins from this address; try again later', {
        'Retry-After': String(wait),
      });
    }
    const credentials = parseBasic(req.headers.authorization);
    if (credentials === undefined) throw unauthorized('credentials required');
    const passwords = await this.current();
    const ok = await passwords!.verify(credentials.user, Buffer.from(credentials.password));
    if (!ok) {
      this.fail(address, now);
      this.log.notice(`HTTP admin: bad credentials for '${credentials.user}' from ${address}.`);
      throw unauthorized('bad credentials');
    }
    this.failures.delete(address);
    const user = credentials.user;
    const admin = this.admins.includes(user);
    const access = this.access;
    return {
      user,
      admin,
      canRead: (topic) => admin || access.canReceive(HTTP_CLIENT_ID, user, topic),
      canWrite: (topic) => access.canPublish(HTTP_CLIENT_ID, user, topic),
    };
  }

  /** A valid user without admin rights asked for a change. */
  refuse(caller: Caller, req: IncomingMessage): never {
    this.log.notice(
      `HTTP admin: '${caller.user}' is not an http_admin (${req.method} ${req.url}) from ${req.socket.remoteAddress}.`,
    );
    throw new HttpError(403, `user '${caller.user}' may not make changes (not an http_admin)`);
  }

  private fail(address: string, now: number): void {
    const record = this.failures.get(address);
    if (record !== undefined) record.count++;
    else {
      this.failures.set(address, { count: 1, since: now });
      if (this.failures.size > MAX_TRACKED) this.failures.delete(this.failures.keys().next().value!);
    }
  }
}

function unauthorized(message: string): HttpError {
  return new HttpError(401, message, { 'WWW-Authenticate': 'Basic realm="mqx", charset="UTF-8"' });
}

function parseBasic(header: string | undefined): { user: string; password: string } | undefined {
  const match = header === undefined ? null : /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (match === null) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}
