/**
 * mosquitto.conf (mosquitto 2.0) into BrokerConfig: reads a file and its `include_dir` files line by
 * line (conf-lines.ts), runs each directive (conf-directives.ts), then the checks that need the
 * whole configuration.
 *
 * Stricter than mosquitto where it only hides mistakes: unknown directives fail with FILE:LINE,
 * numbers must be whole numbers in range, and directives that mqx cannot honour are refused by
 * name. Where mosquitto ignores what follows a value (`port 1883 Listen port 1883`), mqx does too,
 * with a warning naming the ignored words.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { checkBridge } from './bridge-rules.js';
import { type BrokerConfig, defaultBrokerConfig, defaultListener } from './broker-config.js';
import { ALIASES, DIRECTIVES, UNSUPPORTED } from './conf-directives.js';
import { directiveLines, type Line } from './conf-lines.js';
import type { ParseState } from './conf-scopes.js';
import { checkListeners, splitHttpListeners } from './listener-rules.js';
import { configError, pathMapper, suggestion } from './values.js';

export interface MosquittoConfOptions {
  /** Re-roots absolute paths (the CLI passes MQX_PATH_PREFIX); see pathMapper. */
  pathPrefix?: string | undefined;
  /** For `${NAME}` secrets; process.env by default. */
  env?: NodeJS.ProcessEnv;
  /**
   * Lines accepted but not honoured as written (e.g. `user`, `log_dest syslog`, trailing words),
   * one message each; printed on stderr when not given. They are in the result's `warnings` too.
   */
  onWarning?: (message: string) => void;
}

function dispatch(state: ParseState, line: Line): void {
  const name = ALIASES[line.key] ?? line.key;
  const handler = DIRECTIVES[name];
  if (handler) {
    handler(state, line);
    return;
  }
  if (UNSUPPORTED.includes(name) || /^(auth|plugin)_opt_/.test(name)) {
    throw configError(line.where, `'${line.key}' is a mosquitto directive that mqx does not support`);
  }
  throw configError(line.where, `unknown directive '${line.key}'${hint(line)}`);
}

/**
 * A "did you mean" for the usual slips: a space for an underscore (`allow anonymous`), an
 * underscore for a space (`log_dest_stdout`), or a misspelling.
 */
function hint(line: Line): string {
  const known = [...Object.keys(DIRECTIVES), ...Object.keys(ALIASES)];
  const joined = `${line.key}_${line.args[0] ?? ''}`;
  if (known.includes(joined)) return ` (did you mean '${joined}'?)`;
  const stem = known.find((k) => line.key.startsWith(`${k}_`));
  if (stem) return ` (did you mean '${stem} ${line.key.slice(stem.length + 1)}'?)`;
  return suggestion(line.key, known);
}

function readConfFile(state: ParseState, includeStack: string[], file: string, includedFrom?: string): void {
  if (includeStack.includes(file)) {
    throw configError(includedFrom ?? file, `'include_dir' includes ${file} again (an include loop)`);
  }
  let content: string;
  try {
    content = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? String(e);
    throw includedFrom
      ? configError(includedFrom, `cannot read ${file}: ${code}`)
      : configError(file, `cannot read the file: ${code}`);
  }
  state.cfg.sources.push(file);
  includeStack.push(file);
  for (const line of directiveLines(file, content)) dispatch(state, line);
  includeStack.pop();
}

/** Checks that need the whole file, then the listener mosquitto 2.0 opens when none is named. */
function finish(state: ParseState): BrokerConfig {
  const cfg = state.cfg;
  if (state.defaultListener) cfg.listeners.unshift(state.defaultListener);
  // The default listener is only known to clash with another once the whole file is read.
  checkListeners(cfg.listeners);
  if (cfg.listeners.length === 0) cfg.listeners.push(defaultListener());
  splitHttpListeners(cfg);
  for (const b of cfg.bridges) checkBridge(b.origin!, b);
  return cfg;
}

/** Reads a mosquitto.conf and the files its `include_dir` lines name. Throws ConfigError. */
export function parseMosquittoConf(file: string, options: MosquittoConfOptions = {}): BrokerConfig {
  const cfg = defaultBrokerConfig();
  const includeStack: string[] = [];
  const state: ParseState = {
    cfg,
    env: options.env,
    mapPath: pathMapper(options.pathPrefix),
    warn: (line, message) => {
      const text = `${line.where}: ${message}`;
      cfg.warnings.push(text);
      if (options.onWarning) options.onWarning(text);
      else process.stderr.write(`mqx: warning: ${text}\n`);
    },
    include: (included, from) => readConfFile(state, includeStack, included, from),
    logDestsSet: false,
    logTypesSet: false,
  };
  readConfFile(state, includeStack, resolve(file));
  return finish(state);
}
