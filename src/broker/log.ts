import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';
import { LOG_TYPES, type LogSettings, type LogType } from '../config/broker-config.js';
import { ConfigError } from '../errors.js';
import { jsonLine } from './log-json.js';
import { fileProblem } from './startup-errors.js';

type Level = Exclude<LogType, 'none' | 'all'>;

/** mosquitto's $SYS/broker/log/X topic letter per type. */
const TOPIC_LETTER: Record<Level, string> = {
  debug: 'D',
  error: 'E',
  warning: 'W',
  notice: 'N',
  information: 'I',
  subscribe: 'M',
  unsubscribe: 'M',
  websockets: 'WS',
};

/** Formats a time with the strftime specifiers people put in log_timestamp_format. */
export function strftime(format: string, date: Date): string {
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return format.replace(/%([YmdHMSsFTzjp%])/g, (_m, c: string) => {
    switch (c) {
      case 'Y':
        return String(date.getFullYear());
      case 'm':
        return pad(date.getMonth() + 1);
      case 'd':
        return pad(date.getDate());
      case 'H':
        return pad(date.getHours());
      case 'M':
        return pad(date.getMinutes());
      case 'S':
        return pad(date.getSeconds());
      case 's':
        return String(Math.floor(date.getTime() / 1000));
      case 'F':
        return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
      case 'T':
        return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
      case 'z': {
        const off = -date.getTimezoneOffset();
        return `${off >= 0 ? '+' : '-'}${pad(Math.floor(Math.abs(off) / 60))}${pad(Math.abs(off) % 60)}`;
      }
      case 'j': {
        const start = new Date(date.getFullYear(), 0, 0);
        return pad(Math.floor((date.getTime() - start.getTime()) / 86_400_000), 3);
      }
      case 'p':
        return date.getHours() < 12 ? 'AM' : 'PM';
      default:
        return '%';
    }
  });
}

/** Opens a log file for appending, creating its directory as the persistence directory is created. */
export function openLogFile(file: string): number {
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    return openSync(file, 'a');
  } catch (err) {
    throw new ConfigError(`cannot open log file ${file}: ${fileProblem(err)}`);
  }
}

/**
 * The broker's log, in mosquitto's format and with its destinations and types, so scripts that
 * read mosquitto's log read mqx's. Writes are synchronous: a log line must not be lost on a crash.
 */
export class BrokerLog {
  private enabled: Set<Level>;
  private files: number[] = [];
  /** The -v packet log (debug type) is on: read on every packet, so a field, not a set lookup. */
  packets = false;
  /** Set by the broker when log_dest topic is used. */
  topicSink: ((topic: string, line: string) => void) | undefined;

  constructor(private settings: LogSettings) {
    this.enabled = new Set();
    this.configure(settings);
  }

  /** Applies (or re-applies on SIGHUP) the settings; reopens log files. */
  configure(settings: LogSettings): void {
    this.settings = settings;
    for (const fd of this.files) closeSync(fd);
    this.files = [];
    const levels = LOG_TYPES.filter((t): t is Level => t !== 'none' && t !== 'all');
    // With nowhere to write, nothing is enabled: no line is even formatted on the hot path.
    const silent = !settings.verbose && settings.destinations.every((d) => d.kind === 'none');
    if (silent) this.enabled = new Set();
    else if (settings.verbose || settings.types.includes('all')) this.enabled = new Set(levels);
    else this.enabled = new Set(settings.types.filter((t): t is Level => t !== 'none' && t !== 'all'));
    this.packets = this.enabled.has('debug');
    for (const dest of settings.destinations) {
      if (dest.kind === 'file') this.files.push(openLogFile(dest.path));
    }
  }

  isEnabled(level: Level): boolean {
    return this.enabled.has(level);
  }

  /** Whether to log connects and disconnects: asked first, so a silent log formats no line for them. */
  get connectionMessages(): boolean {
    return this.settings.connectionMessages && this.enabled.has('notice');
  }

  debug(msg: string): void {
    this.write('debug', msg);
  }
  error(msg: string): void {
    this.write('error', msg);
  }
  warning(msg: string): void {
    this.write('warning', msg);
  }
  notice(msg: string): void {
    this.write('notice', msg);
  }
  info(msg: string): void {
    this.write('information', msg);
  }
  subscribe(msg: string): void {
    this.write('subscribe', msg);
  }
  unsubscribe(msg: string): void {
    this.write('unsubscribe', msg);
  }

  write(level: Level, msg: string): void {
    if (!this.enabled.has(level)) return;
    const now = new Date();
    const line =
      this.settings.format === 'json'
        ? jsonLine(now, level, msg)
        : this.settings.timestamp
          ? `${this.settings.timestampFormat ? strftime(this.settings.timestampFormat, now) : Math.floor(now.getTime() / 1000)}: ${msg}\n`
          : `${msg}\n`;
    let toConsole = false;
    for (const dest of this.settings.destinations) {
      if (dest.kind === 'stdout') writeSync(1, line);
      else if (dest.kind === 'stderr') writeSync(2, line);
      else if (dest.kind === 'topic') this.topicSink?.(`$SYS/broker/log/${TOPIC_LETTER[level]}`, msg);
      toConsole ||= dest.kind === 'stdout' || dest.kind === 'stderr';
    }
    // -v promises the console even when the config only logs to a file, as mosquitto does.
    if (this.settings.verbose && !toConsole) writeSync(1, line);
    // One write of the whole line on a descriptor opened for appending: brokers sharing a log file
    // (the course's all name /var/log/mosquitto/mosquitto.log) interleave by whole lines.
    for (const fd of this.files) writeSync(fd, line);
  }

  close(): void {
    for (const fd of this.files) closeSync(fd);
    this.files = [];
  }
}
