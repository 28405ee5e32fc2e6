/**
 * The broker's start-up failures as one line each that says what happened and what to do, with
 * exit code 2 (README: a bad flag, input file or config): a port someone else holds, a port or
 * file the user may not use, a file or directory that is not there. Node's own messages name a
 * syscall and come with a stack trace, which tells a newcomer nothing.
 */
import { ConfigError } from '../errors.js';

type Errno = NodeJS.ErrnoException;

function code(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null ? (err as Errno).code : undefined;
}

const FILE_PROBLEMS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'it is a directory',
  ENOTDIR: 'a part of the path is not a directory',
  EROFS: 'read-only file system',
};

/** Why a file operation failed, in words, or the error's own message for anything rarer. */
export function fileProblem(err: unknown): string {
  const c = code(err);
  if (c !== undefined && FILE_PROBLEMS[c]) return FILE_PROBLEMS[c];
  return err instanceof Error ? err.message : String(err);
}

/** `what` names the file's role, as the config does ("certfile", "log file"). */
export function fileError(what: string, file: string, err: unknown): ConfigError {
  return new ConfigError(`cannot read ${what} ${file}: ${fileProblem(err)}`);
}

export interface ListenTarget {
  port: number;
  host?: string | undefined;
  unixSocketPath?: string | undefined;
}

/** A listen() that failed, or undefined for an error that is not about the address. */
export function listenError(err: unknown, target: ListenTarget): ConfigError | undefined {
  if (target.unixSocketPath !== undefined) {
    const c = code(err);
    if (c === undefined) return undefined;
    if (c === 'EADDRINUSE')
      return new ConfigError(`unix socket ${target.unixSocketPath} is in use by another process`);
    return new ConfigError(`cannot listen on unix socket ${target.unixSocketPath}: ${fileProblem(err)}`);
  }
  const where = target.host !== undefined ? `${target.host}:${target.port}` : `port ${target.port}`;
  switch (code(err)) {
    case 'EADDRINUSE':
      return new ConfigError(
        `port ${target.port} is already in use (${where}): another broker holds it, perhaps the mosquitto service (sudo systemctl stop mosquitto); or choose another port with -p`,
      );
    case 'EACCES':
    case 'EPERM':
      return new ConfigError(
        `permission denied to listen on ${where}: ports below 1024 need root or CAP_NET_BIND_SERVICE; choose another port with -p`,
      );
    case 'EADDRNOTAVAIL':
      return new ConfigError(`cannot listen on ${where}: no interface of this machine has that address`);
    default:
      return undefined;
  }
}
