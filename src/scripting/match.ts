/**
 * `--match EXPR`: a payload test for scripts that wait for one message. The kind is always named
 * (`re:`, `text:`, `json:`), never guessed from the text, so a pattern cannot change meaning with
 * its content; the one shorthand is an expression starting with `$`, which can only be JSONPath.
 * The JSONPath library loads only for `json:` expressions.
 */
import { UsageError } from '../errors.js';

export type PayloadMatch = (payload: Buffer) => boolean;

const OPERATORS = ['==', '!=', '<=', '>=', '<', '>'] as const;
type Operator = (typeof OPERATORS)[number];

export interface JsonCondition {
  path: string;
  /** Absent: the path selects at least one value. */
  op?: Operator;
  value?: unknown;
}

/**
 * Splits `PATH OP VALUE` at the last comparison outside brackets, parentheses and quotes: a
 * JSONPath filter (`$.a[?@.b < 3]`) holds operators of its own.
 */
export function parseJsonCondition(text: string): JsonCondition {
  let depth = 0;
  let quote: string | undefined;
  let found: { at: number; op: Operator } | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = undefined;
      continue;
    }
    if (c === '"' || c === "'") quote = c;
    else if (c === '[' || c === '(') depth++;
    else if (c === ']' || c === ')') depth--;
    else if (depth === 0) {
      const op = OPERATORS.find((o) => text.startsWith(o, i));
      if (op) {
        found = { at: i, op };
        i += op.length - 1;
      }
    }
  }
  if (!found) return { path: text.trim() };
  const path = text.slice(0, found.at).trim();
  const literal = text.slice(found.at + found.op.length).trim();
  if (literal === '') throw new UsageError(`--match json: nothing to compare with after '${found.op}'`);
  return { path, op: found.op, value: parseLiteral(literal) };
}

/** A JSON literal (30, "on", true, null); anything else is a bare string: `$.state == on`. */
function parseLiteral(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    if (/^'.*'$/.test(text)) return text.slice(1, -1);
    return text;
  }
}

function compare(actual: unknown, op: Operator, expected: unknown): boolean {
  if (op === '==' || op === '!=') {
    const same =
      typeof actual === 'object' && actual !== null
        ? JSON.stringify(actual) === JSON.stringify(expected)
        : actual === expected;
    return op === '==' ? same : !same;
  }
  // Ordering only between two numbers or two strings, as in JSONPath's own comparisons.
  const comparable =
    (typeof actual === 'number' && typeof expected === 'number') ||
    (typeof actual === 'string' && typeof expected === 'string');
  if (!comparable) return false;
  const a = actual as number | string;
  const b = expected as number | string;
  if (op === '<') return a < b;
  if (op === '<=') return a <= b;
  if (op === '>') return a > b;
  return a >= b;
}

async function jsonMatch(text: string): Promise<PayloadMatch> {
  const condition = parseJsonCondition(text);
  if (!condition.path.startsWith('$'))
    throw new UsageError(`--match json: a JSONPath starts with $, got "${condition.path}"`);
  const { query } = await import('jsonpath-rfc9535');
  try {
    query(null, condition.path);
  } catch (err) {
    throw new UsageError(`--match json: ${condition.path}: ${(err as Error).message}`);
  }
  return (payload) => {
    let doc: unknown;
    try {
      doc = JSON.parse(payload.toString('utf8'));
    } catch {
      return false;
    }
    const values = query(doc as Parameters<typeof query>[0], condition.path);
    if (condition.op === undefined) return values.length > 0;
    return values.some((v) => compare(v, condition.op!, condition.value));
  };
}

/** `re:REGEX` (anywhere in the payload), `text:TEXT` (the whole payload), `json:PATH [OP VALUE]`. */
export async function compileMatch(expression: string): Promise<PayloadMatch> {
  if (expression.startsWith('re:')) {
    let re: RegExp;
    try {
      re = new RegExp(expression.slice(3), 'u');
    } catch (err) {
      throw new UsageError(`--match re: ${(err as Error).message}`);
    }
    return (payload) => re.test(payload.toString('utf8'));
  }
  if (expression.startsWith('text:')) {
    const wanted = Buffer.from(expression.slice(5));
    return (payload) => payload.equals(wanted);
  }
  if (expression.startsWith('json:')) return jsonMatch(expression.slice(5));
  if (expression.startsWith('$')) return jsonMatch(expression);
  throw new UsageError(
    `--match needs a kind: re:REGEX, text:TEXT or json:PATH OP VALUE (or a JSONPath starting with $), got "${expression}"`,
  );
}
