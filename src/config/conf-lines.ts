/**
 * mosquitto.conf lines into directive occurrences, and the readers of a directive's value. Each
 * reader follows how mosquitto 2.0 reads that kind of value: a number, boolean or keyword is the
 * first word, and mosquitto ignores any words after it (mqx too, with a warning); a string or
 * path is the rest of the line, spaces included.
 */
import { configError, parseBool, parseChoice, parseIntInRange } from './values.js';

/** One directive occurrence: its tokens, the raw rest of the line, and where it stands. */
export interface Line {
  readonly where: string;
  readonly key: string;
  readonly args: string[];
  /** Everything after the key, for string values that may contain spaces (as mosquitto reads). */
  readonly rest: string;
}

/** Says something about a line the file's reader should know without failing it. */
export type Warn = (line: Line, message: string) => void;

/** The directive lines of a file's text: blank lines and lines starting with `#` are skipped. */
export function directiveLines(file: string, content: string): Line[] {
  const out: Line[] = [];
  // Editors on Windows may start the file with a byte order mark.
  const lines = content.replace(/^\uFEFF/, '').split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const trimmed = lines[i]!.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const m = /^(\S+)\s*(.*)$/.exec(trimmed)!;
    const rest = m[2]!;
    out.push({ where: `${file}:${i + 1}`, key: m[1]!, rest, args: rest === '' ? [] : rest.split(/\s+/) });
  }
  return out;
}

/**
 * The first word, as mosquitto reads numbers, booleans and keywords. The words after it are
 * what a student types as a call-out (`port 1883 Listen port 1883`): mosquitto drops them in
 * silence, mqx drops them with a warning that names them.
 */
export function first(line: Line, warn: Warn): string | undefined {
  if (line.args.length > 1) {
    warn(
      line,
      `'${line.key} ${line.args[0]}': ignoring the trailing words '${line.args.slice(1).join(' ')}', as mosquitto does (it reads one value; comments must start a line)`,
    );
  }
  return line.args[0];
}

/**
 * Exactly one word, for the string values mosquitto reads to the end of the line: there a
 * second word would become part of the value, so mqx cannot pretend it is not there.
 */
export function word(line: Line): string {
  if (line.args.length > 1) {
    throw configError(
      line.where,
      `'${line.key}' takes one value, got extra '${line.args.slice(1).join(' ')}' (comments must start a line)`,
    );
  }
  const value = line.args[0];
  if (value === undefined) throw configError(line.where, `'${line.key}' expects a value`);
  return value;
}

/** The rest of the line, for values that may contain spaces. */
export function text(line: Line): string {
  if (line.rest === '') throw configError(line.where, `'${line.key}' expects a value`);
  return line.rest;
}

export function int(line: Line, warn: Warn, min: number, max: number): number {
  return parseIntInRange(line.where, line.key, first(line, warn), min, max);
}

export function bool(line: Line, warn: Warn): boolean {
  return parseBool(line.where, line.key, first(line, warn));
}

export function choice<C extends string>(line: Line, warn: Warn, choices: readonly C[]): C {
  return parseChoice(line.where, line.key, first(line, warn), choices);
}

/** A keyword mosquitto reads as a string (to the end of the line), so a second word is an error. */
export function strictChoice<C extends string>(line: Line, choices: readonly C[]): C {
  return parseChoice(line.where, line.key, word(line), choices);
}
