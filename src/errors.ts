/**
 * Every failure a command can end with, each with its documented exit code (README, `mqx --help`).
 * Commands throw these; src/cli.ts turns them into one line on stderr and the exit code.
 */
export const ExitCode = {
  Success: 0,
  Failure: 1,
  Usage: 2,
  ConnectionFailed: 3,
  Refused: 4,
  Timeout: 5,
  Rejected: 6,
  Interrupted: 130,
} as const;

const MQX_ERROR = Symbol.for('mqx.error');

export class MqxError extends Error {
  readonly [MQX_ERROR] = true;

  constructor(
    message: string,
    readonly exitCode: number = ExitCode.Failure,
  ) {
    super(message);
  }
}

/**
 * `instanceof MqxError` across module copies: the command line's bundle (dist/src/cli.cjs) has its
 * own copy of this class, and the commands it loads as ES modules (broker, bridge, ...) throw theirs.
 */
export function isMqxError(err: unknown): err is MqxError {
  return typeof err === 'object' && err !== null && MQX_ERROR in err;
}

/** A flag, argument or input value that cannot be used. */
export class UsageError extends MqxError {
  constructor(message: string) {
    super(message, ExitCode.Usage);
  }
}

/** The broker could not be reached, or the connection was lost and reconnecting is off. */
export class ConnectionError extends MqxError {
  constructor(message: string) {
    super(message, ExitCode.ConnectionFailed);
  }
}

/** The broker answered CONNECT with a refusal. */
export class RefusedError extends MqxError {
  constructor(
    message: string,
    readonly reasonCode: number,
  ) {
    super(message, ExitCode.Refused);
  }
}

/** A wait given by the user (-W, --connect-timeout) ran out. */
export class TimeoutError extends MqxError {
  constructor(message: string) {
    super(message, ExitCode.Timeout);
  }
}

/** The broker refused a PUBLISH (5.0 reason code >= 0x80) or a subscription (SUBACK failure). */
export class RejectedError extends MqxError {
  constructor(
    message: string,
    readonly reasonCode: number,
  ) {
    super(message, ExitCode.Rejected);
  }
}

/** A config file that cannot be used; the message names file, line and key. */
export class ConfigError extends MqxError {
  constructor(message: string) {
    super(message, ExitCode.Usage);
  }
}
