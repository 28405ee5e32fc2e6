/**
 * A small strict validator for mqx's own config: every key must be known, every value of the
 * declared type, and errors name the key path (`broker.listeners[0].port`). Values come back
 * normalised (paths resolved, secrets read), so the mapping to BrokerConfig is plain copying.
 */
import { configError, parseDuration, resolveSecret, suggestion } from './values.js';

export type Spec =
  | { t: 'string' }
  | { t: 'path' }
  | { t: 'secret' }
  | { t: 'bool' }
  | { t: 'int'; min: number; max: number }
  | { t: 'enum'; values: readonly string[] }
  /** Seconds as a number, or mosquitto's duration text (`1d`, `2w`). */
  | { t: 'duration' }
  | { t: 'array'; of: Spec }
  | { t: 'object'; fields: Record<string, Spec>; required?: readonly string[] }
  | { t: 'record'; of: Spec }
  | { t: 'oneOf'; of: readonly Spec[]; describe: string };

export interface SchemaContext {
  file: string;
  mapPath: (path: string) => string;
  env?: NodeJS.ProcessEnv;
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value)}`;
}

/** Validates value against spec at keyPath; returns the normalised value. Throws ConfigError. */
export function validate(value: unknown, spec: Spec, keyPath: string, ctx: SchemaContext): unknown {
  const where = keyPath ? `${ctx.file}: ${keyPath}` : ctx.file;
  const fail = (expected: string) => configError(where, `expects ${expected}, got ${typeName(value)}`);
  switch (spec.t) {
    case 'string':
    case 'path':
    case 'secret':
      if (typeof value !== 'string' || value === '') throw fail('a non-empty string');
      if (spec.t === 'path') return ctx.mapPath(value);
      if (spec.t === 'secret')
        return resolveSecret(where, keyPath.slice(keyPath.lastIndexOf('.') + 1), value, ctx);
      return value;
    case 'bool':
      if (typeof value !== 'boolean') throw fail('true or false');
      return value;
    case 'int':
      if (typeof value !== 'number' || !Number.isInteger(value) || value < spec.min || value > spec.max) {
        throw fail(`a whole number from ${spec.min} to ${spec.max}`);
      }
      return value;
    case 'enum':
      if (typeof value !== 'string' || !spec.values.includes(value))
        throw fail(`one of ${spec.values.join(', ')}`);
      return value;
    case 'duration':
      if (typeof value === 'number' && Number.isInteger(value) && value > 0) return value;
      if (typeof value === 'string') return parseDuration(ctx.file, keyPath, value);
      throw fail('seconds, or a duration like 1d');
    case 'array':
      if (!Array.isArray(value)) throw fail('a list');
      return value.map((item, i) => validate(item, spec.of, `${keyPath}[${i}]`, ctx));
    case 'record':
      if (!isPlainObject(value)) throw fail('an object');
      return Object.fromEntries(
        Object.entries(value).map(([k, v]) => [
          k,
          validate(v, spec.of, keyPath ? `${keyPath}.${k}` : k, ctx),
        ]),
      );
    case 'object': {
      if (!isPlainObject(value)) throw fail('an object');
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) {
        const child = keyPath ? `${keyPath}.${k}` : k;
        const fieldSpec = spec.fields[k];
        if (!fieldSpec)
          throw configError(`${ctx.file}: ${child}`, `unknown key${suggestion(k, Object.keys(spec.fields))}`);
        if (v !== undefined) out[k] = validate(v, fieldSpec, child, ctx);
      }
      for (const k of spec.required ?? []) {
        if (out[k] === undefined)
          throw configError(`${ctx.file}: ${keyPath ? `${keyPath}.${k}` : k}`, 'is required');
      }
      return out;
    }
    case 'oneOf':
      for (const option of spec.of) {
        try {
          return validate(value, option, keyPath, ctx);
        } catch {
          // Try the next form; the combined description below is clearer than the last failure.
        }
      }
      throw fail(spec.describe);
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
