/**
 * `mqx broker --check` beyond the syntax: every file and directory the configuration names, and
 * every port, checked the way start-up will use them, so that a config that passes starts.
 * Problems are the one-line messages start-up would fail with; warnings (a bridge that would
 * connect to this very broker) are what the bridges would log and do not fail the check.
 */
import { accessSync, constants, readdirSync, statSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { BrokerConfig, ListenerConfig, SecuritySettings } from '../config/broker-config.js';
import { fileProblem, listenError } from './startup-errors.js';

export interface Preflight {
  problems: string[];
  warnings: string[];
}

function readable(problems: string[], what: string, file: string | undefined): void {
  if (file === undefined) return;
  try {
    if (statSync(file).isDirectory()) throw Object.assign(new Error('directory'), { code: 'EISDIR' });
    accessSync(file, constants.R_OK);
  } catch (err) {
    problems.push(`cannot read ${what} ${file}: ${fileProblem(err)}`);
  }
}

function readableDir(problems: string[], what: string, dir: string | undefined): void {
  if (dir === undefined) return;
  try {
    readdirSync(dir);
  } catch (err) {
    problems.push(`cannot read ${what} ${dir}: ${fileProblem(err)}`);
  }
}

/**
 * A directory start-up creates when missing (log files, persistence): fine when it exists and is
 * writable, or when its nearest existing ancestor is a writable directory.
 */
function creatableDir(problems: string[], what: string, dir: string): boolean {
  let at = path.resolve(dir);
  for (;;) {
    try {
      if (!statSync(at).isDirectory()) {
        problems.push(`cannot create ${what} ${dir}: ${at} is not a directory`);
        return false;
      }
      accessSync(at, constants.W_OK);
      return true;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const parent = path.dirname(at);
      if (code !== 'ENOENT' || parent === at) {
        problems.push(`cannot create ${what} ${dir}: ${fileProblem(err)}`);
        return false;
      }
      at = parent;
    }
  }
}

/** An existing file start-up appends to or rewrites must be writable. */
function writableIfThere(problems: string[], what: string, file: string): void {
  try {
    accessSync(file, constants.W_OK);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
      problems.push(`cannot write ${what} ${file}: ${fileProblem(err)}`);
  }
}

function security(problems: string[], s: SecuritySettings | undefined): void {
  readable(problems, 'password_file', s?.passwordFile);
  readable(problems, 'acl_file', s?.aclFile);
}

/** Binds and releases the listener's address: start-up will need it free. */
async function portFree(listener: ListenerConfig): Promise<string | undefined> {
  if (listener.unixSocketPath !== undefined || listener.port === 0) return undefined;
  const server = net.createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port: listener.port, host: listener.host, ipv6Only: false }, () => resolve());
    });
  } catch (err) {
    const explained = listenError(err, listener);
    return explained?.message ?? `cannot listen on port ${listener.port}: ${(err as Error).message}`;
  } finally {
    server.close();
  }
  return undefined;
}

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '::1', '0.0.0.0', '::']);

export async function preflight(config: BrokerConfig): Promise<Preflight> {
  const problems: string[] = [];
  const warnings: string[] = [];
  security(problems, config.security);
  for (const listener of config.listeners) {
    security(problems, listener.security);
    const tls = listener.tls;
    readable(problems, 'certfile', tls?.certfile);
    readable(problems, 'keyfile', tls?.keyfile);
    readable(problems, 'cafile', tls?.cafile);
    readable(problems, 'crlfile', tls?.crlfile);
    readableDir(problems, 'capath', tls?.capath);
    if (listener.unixSocketPath !== undefined)
      creatableDir(problems, 'the directory of unix socket', path.dirname(listener.unixSocketPath));
  }
  for (const dest of config.log.destinations) {
    if (dest.kind !== 'file') continue;
    if (creatableDir(problems, 'the log directory', path.dirname(dest.path)))
      writableIfThere(problems, 'log file', dest.path);
  }
  if (config.persistence.enabled) {
    const location = config.persistence.location || '.';
    // Without persistence_file the broker chooses its file in the folder at start (store/choose.ts).
    const file = config.persistence.file;
    if (creatableDir(problems, 'persistence_location', location) && file !== undefined)
      writableIfThere(problems, 'persistence file', path.resolve(location, file));
  }
  const ports = await Promise.all(config.listeners.map(portFree));
  for (const p of ports) if (p !== undefined) problems.push(p);
  const own = new Set(config.listeners.map((l) => l.port));
  for (const bridge of config.bridges) {
    for (const a of bridge.addresses) {
      if (LOCAL_HOSTS.has(a.host) && own.has(a.port))
        warnings.push(
          `bridge ${bridge.name}: address ${a.host}:${a.port} is this broker's own listener; it would bridge to itself`,
        );
    }
  }
  return { problems, warnings };
}
