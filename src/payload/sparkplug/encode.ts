/**
 * JSON (the shape `mqx sub --decode sparkplug --json` prints, or its people's form) to Sparkplug B
 * payload bytes. Each metric needs its datatype, by name or number; 64-bit values may be numbers or
 * decimal strings, DateTime and timestamps also ISO 8601 strings, bytes base64, null a null metric.
 */
import { payloadType, type Raw } from './proto.js';
import { ARRAY_LAYOUTS, DATATYPES, datatypeNumber, valueField } from './types.js';

export class SparkplugInputError extends Error {}

const fail = (message: string): never => {
  throw new SparkplugInputError(message);
};

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function integer(v: unknown, where: string): bigint {
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  if (typeof v === 'string' && /^-?\d+$/.test(v.trim())) return BigInt(v.trim());
  return fail(`${where}: expected an integer, got ${JSON.stringify(v)}`);
}

/** Milliseconds since the epoch from a number, a decimal string or an ISO 8601 time. */
function millis(v: unknown, where: string): bigint {
  if (typeof v === 'string' && !/^-?\d+$/.test(v.trim())) {
    const ms = Date.parse(v);
    if (Number.isNaN(ms)) fail(`${where}: not a time: ${JSON.stringify(v)}`);
    return BigInt(ms);
  }
  return integer(v, where);
}

const long = (n: bigint) => BigInt.asUintN(64, n).toString();

function float(v: unknown, where: string): number {
  if (typeof v === 'number') return v;
  if (v === 'NaN' || v === 'Infinity' || v === '-Infinity') return Number(v);
  return fail(`${where}: expected a number, got ${JSON.stringify(v)}`);
}

function text(v: unknown, where: string): string {
  return typeof v === 'string' ? v : fail(`${where}: expected a string, got ${JSON.stringify(v)}`);
}

function base64(v: unknown, where: string): Uint8Array {
  if (v instanceof Uint8Array) return v;
  return Buffer.from(text(v, where), 'base64');
}

function packed(type: string, v: unknown, where: string): Uint8Array {
  if (!Array.isArray(v)) return fail(`${where}: expected an array`);
  if (type === 'BooleanArray') {
    const out = Buffer.alloc(4 + Math.ceil(v.length / 8));
    out.writeUInt32LE(v.length, 0);
    v.forEach((b, i) => {
      if (b === true) out[4 + (i >> 3)]! |= 0x80 >> (i & 7);
    });
    return out;
  }
  if (type === 'StringArray') return Buffer.from(v.map((s) => `${text(s, where)}\0`).join(''));
  const layout = ARRAY_LAYOUTS[type as keyof typeof ARRAY_LAYOUTS]!;
  const out = new Uint8Array(v.length * layout.size);
  const view = new DataView(out.buffer);
  v.forEach((item, i) => {
    const value =
      layout.size === 8 && type !== 'DoubleArray'
        ? type === 'DateTimeArray'
          ? millis(item, where)
          : integer(item, where)
        : float(item, where);
    layout.write(view, i * layout.size, value);
  });
  return out;
}

const SCALAR_FIELDS = ['intValue', 'longValue', 'floatValue', 'doubleValue', 'booleanValue', 'stringValue'];
/** The value fields each message of the schema has: a metric carries no property set, a property no dataset. */
const METRIC = new Set([...SCALAR_FIELDS, 'bytesValue', 'datasetValue', 'templateValue']);
const PROPERTY = new Set([...SCALAR_FIELDS, 'propertysetValue', 'propertysetsValue']);
const SCALAR = new Set(SCALAR_FIELDS);

/** Sets the oneof field of `out` that carries `value` as a `datatype`. */
function setValue(
  out: Raw,
  datatype: number,
  value: unknown,
  where: string,
  fields: ReadonlySet<string>,
): void {
  const name = DATATYPES[datatype]!;
  const field = valueField(datatype);
  if (field === undefined || !fields.has(field)) fail(`${where}: cannot carry a value of type ${name}`);
  switch (name) {
    case 'Int8':
    case 'Int16':
    case 'Int32':
    case 'UInt8':
    case 'UInt16':
    case 'UInt32':
      // Signed types travel as 32-bit two's complement, as Eclipse Tahu writes them.
      out.intValue = Number(BigInt.asUintN(32, integer(value, where)));
      return;
    case 'Int64':
    case 'UInt64':
      out.longValue = long(integer(value, where));
      return;
    case 'DateTime':
      out.longValue = long(millis(value, where));
      return;
    case 'Float':
      out.floatValue = float(value, where);
      return;
    case 'Double':
      out.doubleValue = float(value, where);
      return;
    case 'Boolean':
      if (typeof value !== 'boolean') fail(`${where}: expected true or false`);
      out.booleanValue = value;
      return;
    case 'String':
    case 'Text':
    case 'UUID':
      out.stringValue = text(value, where);
      return;
    case 'DataSet':
      out.datasetValue = dataSet(value, where);
      return;
    case 'Template':
      out.templateValue = template(value, where);
      return;
    case 'PropertySet':
      out.propertysetValue = propertySet(value, where);
      return;
    case 'PropertySetList':
      if (!Array.isArray(value)) fail(`${where}: expected an array of property sets`);
      out.propertysetsValue = { propertyset: (value as unknown[]).map((p) => propertySet(p, where)) };
      return;
    case 'Bytes':
    case 'File':
      out.bytesValue = base64(value, where);
      return;
    default:
      out.bytesValue = packed(name, value, where);
  }
}

function typeOf(v: unknown, where: string): number {
  const n = datatypeNumber(v);
  return n ?? fail(`${where}: unknown Sparkplug datatype ${JSON.stringify(v)}`);
}

function dataSet(v: unknown, where: string): Raw {
  if (!isObject(v)) return fail(`${where}: a DataSet is {"columns", "types", "rows"}`);
  const columns = Array.isArray(v.columns) ? v.columns.map((c) => text(c, `${where} columns`)) : [];
  const types = (Array.isArray(v.types) ? v.types : []).map((t) => typeOf(t, `${where} types`));
  if (types.length !== columns.length) fail(`${where}: a DataSet needs one type per column`);
  const rows = (Array.isArray(v.rows) ? v.rows : []).map((row, r) => {
    if (!Array.isArray(row) || row.length !== columns.length)
      fail(`${where}: row ${r} needs ${columns.length} cells`);
    return {
      elements: (row as unknown[]).map((cell, i) => {
        const out: Raw = {};
        setValue(out, types[i]!, cell, `${where} row ${r}`, SCALAR);
        return out;
      }),
    };
  });
  return { numOfColumns: String(columns.length), columns, types, rows };
}

function propertySet(v: unknown, where: string): Raw {
  if (!isObject(v)) return fail(`${where}: a property set is {"key": {"type", "value"}}`);
  const keys = Object.keys(v);
  const values = keys.map((key) => {
    const p = v[key];
    if (!isObject(p)) return fail(`${where} property ${key}: expected {"type", "value"}`);
    const type = typeOf(p.type, `${where} property ${key}`);
    const out: Raw = { type };
    if (p.value === null || p.value === undefined) out.isNull = true;
    else setValue(out, type, p.value, `${where} property ${key}`, PROPERTY);
    return out;
  });
  return { keys, values };
}

function template(v: unknown, where: string): Raw {
  if (!isObject(v)) return fail(`${where}: a Template is {"metrics", ...}`);
  const out: Raw = {};
  if (v.version !== undefined) out.version = text(v.version, `${where} version`);
  if (v.templateRef !== undefined) out.templateRef = text(v.templateRef, `${where} templateRef`);
  if (v.isDefinition !== undefined) out.isDefinition = v.isDefinition === true;
  out.metrics = (Array.isArray(v.metrics) ? v.metrics : []).map((m, i) => metric(m, `${where} metric ${i}`));
  if (Array.isArray(v.parameters)) {
    out.parameters = v.parameters.map((p, i) => {
      if (!isObject(p)) return fail(`${where} parameter ${i}: expected {"name", "type", "value"}`);
      const type = typeOf(p.type, `${where} parameter ${i}`);
      const param: Raw = { name: text(p.name, `${where} parameter ${i}`), type };
      setValue(param, type, p.value, `${where} parameter ${i}`, SCALAR);
      return param;
    });
  }
  return out;
}

function metric(v: unknown, where: string): Raw {
  if (!isObject(v)) return fail(`${where}: expected an object`);
  const out: Raw = {};
  if (v.name !== undefined) out.name = text(v.name, `${where} name`);
  const label = out.name === undefined ? where : `metric ${JSON.stringify(out.name)}`;
  if (v.alias !== undefined) out.alias = long(integer(v.alias, `${label} alias`));
  if (v.timestamp !== undefined) out.timestamp = long(millis(v.timestamp, `${label} timestamp`));
  const datatype = typeOf(v.datatype, `${label} datatype`);
  out.datatype = datatype;
  if (v.isHistorical === true) out.isHistorical = true;
  if (v.isTransient === true) out.isTransient = true;
  if (isObject(v.metadata)) out.metadata = v.metadata;
  if (v.properties !== undefined) out.properties = propertySet(v.properties, `${label} properties`);
  if (v.value === null || v.value === undefined) out.isNull = true;
  else setValue(out, datatype, v.value, label, METRIC);
  return out;
}

/** Throws SparkplugInputError naming the first field that is not right. */
export function encodeSparkplug(input: unknown): Uint8Array {
  if (!isObject(input)) fail('a Sparkplug payload is a JSON object {"timestamp", "seq", "metrics": [...]}');
  const v = input as Record<string, unknown>;
  const raw: Raw = {};
  if (v.timestamp !== undefined) raw.timestamp = long(millis(v.timestamp, 'timestamp'));
  if (v.seq !== undefined) raw.seq = long(integer(v.seq, 'seq'));
  if (v.uuid !== undefined) raw.uuid = text(v.uuid, 'uuid');
  if (v.body !== undefined) raw.body = base64(v.body, 'body');
  if (v.metrics !== undefined && !Array.isArray(v.metrics)) fail('"metrics" must be an array');
  raw.metrics = ((v.metrics as unknown[] | undefined) ?? []).map((m, i) => metric(m, `metric ${i}`));
  const type = payloadType();
  return type.encode(type.fromObject(raw)).finish();
}
