/**
 * mosquitto_sub's -F format strings, as its manual documents them:
 *   %… message fields, with optional flags (-, 0), field width and .precision;
 *   @X strftime conversion X of the arrival time, @@ a literal @, @N nanoseconds in the second;
 *   \\ \0 \a \e \n \r \t \v escapes.
 * The format is compiled once (invalid specifiers are a usage error, as in mosquitto_sub) into a
 * list of parts, then applied to each message. Output is bytes: %p and %D are raw, except that
 * with --decode %p is the decoded payload and %J inserts its JSON.
 */
import { UsageError } from '../errors.js';
import { nsToDate, type ReceivedMessage } from './message.js';
import { mosquittoJson } from './mosquitto-json.js';
import { isoLocal, strftimeConversion } from './time.js';

export interface FormatContext {
  /** --pretty: %j/%J as indented JSON. */
  pretty: boolean;
  /** Where %J reports a payload that is not JSON. */
  warn: (line: string) => void;
}

type Part = (msg: ReceivedMessage, ctx: FormatContext) => Buffer | string;

interface Spec {
  left: boolean;
  zero: boolean;
  width: number;
  precision: number | undefined;
}

/** Parameters that honour the 0 flag, a field width and a maximum width (manual: "Flag characters"…). */
const ZERO = new Set('AEFlmSXx');
const WIDTH = new Set('ACEFIlmpRStxX');
const PRECISION = new Set('CIRt');
const PARAMS = new Set('%ACDEFIjJlmPpqRrStUxX');

const ESCAPES: Record<string, string> = {
  '\\': '\\',
  '0': '\0',
  a: '\x07',
  e: '\x1b',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\x0b',
};

function field(value: Buffer | string, c: string, spec: Spec): Buffer | string {
  let text = value;
  if (PRECISION.has(c) && spec.precision !== undefined && typeof text === 'string')
    text = text.slice(0, spec.precision);
  if (!WIDTH.has(c) || text.length >= spec.width) return text;
  const fill = (spec.zero && !spec.left && ZERO.has(c) ? '0' : ' ').repeat(spec.width - text.length);
  if (typeof text === 'string') return spec.left ? text + fill : fill + text;
  return Buffer.concat(spec.left ? [text, Buffer.from(fill)] : [Buffer.from(fill), text]);
}

function optional(value: number | string | undefined): string {
  return value === undefined ? '' : String(value);
}

function parameter(c: string, msg: ReceivedMessage, ctx: FormatContext): Buffer | string {
  const p = msg.properties ?? {};
  switch (c) {
    case '%':
      return '%';
    case 'A':
      return optional(p.topicAlias);
    case 'C':
      return optional(p.contentType);
    case 'D':
      return p.correlationData ?? '';
    case 'E':
      return optional(p.messageExpiryInterval);
    case 'F':
      return optional(p.payloadFormatIndicator);
    case 'I':
      return isoLocal(nsToDate(msg.receivedNs));
    case 'j':
      return mosquittoJson(msg, false, ctx.pretty)!;
    case 'J': {
      const json = mosquittoJson(msg, true, ctx.pretty);
      if (json === undefined) ctx.warn(`Error: Message payload is not valid JSON on topic ${msg.topic}.`);
      return json ?? '';
    }
    case 'l':
      return String(msg.payload.length);
    case 'm':
      return String(msg.packetId);
    case 'P':
      return (p.userProperties ?? []).map(([k, v]) => `${k}:${v}`).join(' ');
    case 'p':
      return msg.decoded?.text ?? msg.payload;
    case 'q':
      return String(msg.qos);
    case 'R':
      return optional(p.responseTopic);
    case 'r':
      return msg.retain ? '1' : '0';
    case 'S':
      return optional(p.subscriptionIdentifiers?.[0]);
    case 't':
      return msg.topic;
    case 'U': {
      const s = msg.receivedNs / 1_000_000_000n;
      return `${s}.${String(msg.receivedNs % 1_000_000_000n).padStart(9, '0')}`;
    }
    case 'x':
      return msg.payload.toString('hex');
    case 'X':
      return msg.payload.toString('hex').toUpperCase();
    default:
      throw new Error(`unreachable: %${c}`);
  }
}

/** Compiles a -F format; throws UsageError naming the first invalid sequence. */
export function compileFormat(format: string): (msg: ReceivedMessage, ctx: FormatContext) => Buffer {
  const parts: Part[] = [];
  let literal = '';
  const flush = () => {
    if (literal) {
      const text = literal;
      parts.push(() => text);
      literal = '';
    }
  };
  for (let i = 0; i < format.length; i++) {
    const ch = format[i]!;
    if (ch === '%') {
      const m = /^([-0]*)(\d*)(?:\.(\d+))?(.?)/.exec(format.slice(i + 1))!;
      const [whole, flags = '', width = '', precision, c = ''] = m;
      if (!c || !PARAMS.has(c))
        throw new UsageError(`invalid format specifier '${c || '%'}' in -F "${format}"`);
      const spec: Spec = {
        left: flags.includes('-'),
        zero: flags.includes('0'),
        width: width ? Number(width) : 0,
        precision: precision !== undefined ? Number(precision) : undefined,
      };
      flush();
      parts.push((msg, ctx) => field(parameter(c, msg, ctx), c, spec));
      i += whole.length;
    } else if (ch === '@') {
      const c = format[i + 1];
      if (c === undefined) {
        literal += '@';
        continue;
      }
      i++;
      if (c === '@') {
        literal += '@';
      } else if (c === 'N') {
        flush();
        parts.push((msg) => String(msg.receivedNs % 1_000_000_000n).padStart(9, '0'));
      } else {
        flush();
        parts.push((msg) => strftimeConversion(c, nsToDate(msg.receivedNs)) ?? `@${c}`);
      }
    } else if (ch === '\\') {
      const c = format[i + 1];
      const escaped = c === undefined ? undefined : ESCAPES[c];
      if (escaped === undefined)
        throw new UsageError(`invalid escape specifier '${c ?? '\\'}' in -F "${format}"`);
      literal += escaped;
      i++;
    } else {
      literal += ch;
    }
  }
  flush();
  return (msg, ctx) => {
    const out = parts.map((part) => part(msg, ctx));
    return Buffer.concat(out.map((o) => (typeof o === 'string' ? Buffer.from(o) : o)));
  };
}
