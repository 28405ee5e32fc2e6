/**
 * Sparkplug B payload bytes to a Tree. The type of every value follows the metric's Sparkplug
 * datatype, never the value: Int64, UInt64 and DateTime are always 64-bit (bigint, Instant), a
 * Float is printed as the float it was. A payload Tahu compressed (uuid SPBV1.0_COMPRESSED, the
 * `algorithm` metric DEFLATE or GZIP) is inflated and decoded in its place.
 */
import { gunzipSync, inflateRawSync, inflateSync } from 'node:zlib';
import { exactInteger, Instant, setKey, type Tree, type TreeObject } from '../tree.js';
import { COMPRESSED_UUID, OBJECT_OPTIONS, payloadType, type Raw } from './proto.js';
import { ARRAY_LAYOUTS, datatypeName } from './types.js';

/** What a BIRTH told about a metric, for the DATA messages that name it by alias only. */
export interface MetricInfo {
  name: string;
  datatype: number | undefined;
}

export interface DecodedSparkplug {
  tree: TreeObject;
  seq: number | undefined;
  /** Top-level metrics after alias resolution: a BIRTH's are recorded, unresolved aliases reported. */
  metrics: Array<{ name: string | undefined; alias: bigint | undefined; datatype: number | undefined }>;
  compressed: string | undefined;
}

/** The shortest decimal that reads back as the same float32, as float32's own printers do. */
function float32(v: number): number {
  if (!Number.isFinite(v)) return v;
  for (let p = 1; p <= 9; p++) {
    const candidate = Number(v.toPrecision(p));
    if (Math.fround(candidate) === v) return candidate;
  }
  return v;
}

const big = (v: unknown) => BigInt(v as string | number);

/** Signed types may travel as N-bit or 32-bit two's complement; the low N bits are the value either way. */
const signed = (v: unknown, bits: number) => Number(BigInt.asIntN(bits, big(v)));

function packedArray(type: string, bytes: Uint8Array): Tree {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (type === 'BooleanArray') {
    const count = bytes.length >= 4 ? view.getUint32(0, true) : 0;
    return Array.from({ length: count }, (_, i) => ((bytes[4 + (i >> 3)] ?? 0) & (0x80 >> (i & 7))) !== 0);
  }
  if (type === 'StringArray') {
    // Each string ends in a NUL.
    const text = Buffer.from(bytes).toString('utf8');
    return text === '' ? [] : text.replace(/\0$/, '').split('\0');
  }
  const layout = ARRAY_LAYOUTS[type as keyof typeof ARRAY_LAYOUTS];
  if (!layout) return bytes;
  const out: Tree[] = [];
  for (let o = 0; o + layout.size <= bytes.length; o += layout.size) {
    const v = layout.read(view, o);
    if (type === 'DateTimeArray') out.push(new Instant(v as bigint, true));
    else if (type === 'FloatArray') out.push(float32(v as number));
    else out.push(v);
  }
  return out;
}

/** A value of `datatype` from the oneof of a metric, parameter, dataset cell or property. */
export function typedValue(raw: Raw, datatype: number | undefined): Tree {
  const type = datatypeName(datatype);
  // Integers are read from whichever field holds them: Eclipse Tahu's JavaScript writes UInt32 to long_value.
  const int = raw.intValue ?? raw.longValue ?? 0;
  const long = raw.longValue ?? raw.intValue ?? 0;
  switch (type) {
    case 'Int8':
      return signed(int, 8);
    case 'Int16':
      return signed(int, 16);
    case 'Int32':
      return signed(int, 32);
    case 'UInt8':
    case 'UInt16':
    case 'UInt32':
      return Number(BigInt.asUintN(32, big(int)));
    case 'Int64':
      return BigInt.asIntN(64, big(long));
    case 'UInt64':
      return BigInt.asUintN(64, big(long));
    case 'DateTime':
      return new Instant(BigInt.asIntN(64, big(long)), true);
    case 'Float':
      return float32(Number(raw.floatValue ?? 0));
    case 'Double':
      return Number(raw.doubleValue ?? 0);
    case 'Boolean':
      return Boolean(raw.booleanValue);
    case 'String':
    case 'Text':
    case 'UUID':
      return String(raw.stringValue ?? '');
    case 'DataSet':
      return raw.datasetValue ? dataSet(raw.datasetValue as Raw) : null;
    case 'Template':
      return raw.templateValue ? template(raw.templateValue as Raw) : null;
    case 'PropertySet':
      return raw.propertysetValue ? propertySet(raw.propertysetValue as Raw) : null;
    case 'PropertySetList':
      return (
        ((raw.propertysetsValue as Raw | undefined)?.propertyset as Raw[] | undefined)?.map(propertySet) ?? []
      );
    case 'Bytes':
    case 'File':
      return (raw.bytesValue as Uint8Array | undefined) ?? new Uint8Array();
    case undefined:
    case 'Unknown':
      return untyped(raw);
    default:
      return packedArray(type, (raw.bytesValue as Uint8Array | undefined) ?? new Uint8Array());
  }
}

/** A value whose datatype no one gave: shown as its wire field holds it. */
function untyped(raw: Raw): Tree {
  const field = raw.value as string | undefined;
  if (field === undefined) return null;
  if (field === 'longValue') return exactInteger(big(raw.longValue));
  const v = raw[field];
  if (field === 'floatValue') return float32(Number(v));
  if (v instanceof Uint8Array || typeof v !== 'object' || v === null) return v as Tree;
  return null;
}

function dataSet(raw: Raw): TreeObject {
  const types = (raw.types as number[] | undefined) ?? [];
  const rows = ((raw.rows as Raw[] | undefined) ?? []).map((row) =>
    ((row.elements as Raw[] | undefined) ?? []).map((cell, i) => typedValue(cell, types[i])),
  );
  return {
    columns: (raw.columns as string[] | undefined) ?? [],
    types: types.map((t) => datatypeName(t) ?? t),
    rows,
  };
}

function propertySet(raw: Raw): TreeObject {
  const keys = (raw.keys as string[] | undefined) ?? [];
  const values = (raw.values as Raw[] | undefined) ?? [];
  const out: TreeObject = {};
  keys.forEach((key, i) => {
    const value = values[i] ?? {};
    const type = value.type as number | undefined;
    setKey(out, key, {
      type: datatypeName(type) ?? type ?? null,
      value: value.isNull ? null : typedValue(value, type),
    });
  });
  return out;
}

function template(raw: Raw): TreeObject {
  const out: TreeObject = {};
  if (raw.version !== undefined) out.version = String(raw.version);
  if (raw.templateRef !== undefined) out.templateRef = String(raw.templateRef);
  if (raw.isDefinition !== undefined) out.isDefinition = Boolean(raw.isDefinition);
  out.metrics = ((raw.metrics as Raw[] | undefined) ?? []).map((m) => metric(m, undefined).tree);
  const parameters = (raw.parameters as Raw[] | undefined) ?? [];
  if (parameters.length > 0) {
    out.parameters = parameters.map((p) => ({
      name: String(p.name ?? ''),
      type: datatypeName(p.type as number) ?? (p.type as number) ?? null,
      value: typedValue(p, p.type as number | undefined),
    }));
  }
  return out;
}

const META_LONGS = new Set(['size', 'seq']);

function metric(raw: Raw, resolve: ((alias: bigint) => MetricInfo | undefined) | undefined) {
  const alias = raw.alias === undefined ? undefined : big(raw.alias);
  const known = alias !== undefined && raw.name === undefined ? resolve?.(alias) : undefined;
  const name = (raw.name as string | undefined) ?? known?.name;
  const datatype = (raw.datatype as number | undefined) ?? known?.datatype;
  const tree: TreeObject = {};
  if (name !== undefined) tree.name = name;
  if (alias !== undefined) tree.alias = exactInteger(alias);
  if (raw.timestamp !== undefined) tree.timestamp = new Instant(big(raw.timestamp));
  if (datatype !== undefined) tree.datatype = datatypeName(datatype) ?? datatype;
  for (const flag of ['isHistorical', 'isTransient'] as const) if (raw[flag]) tree[flag] = true;
  if (raw.metadata) {
    const meta: TreeObject = {};
    for (const [key, value] of Object.entries(raw.metadata as Raw))
      meta[key] = META_LONGS.has(key) ? exactInteger(big(value)) : (value as Tree);
    tree.metadata = meta;
  }
  if (raw.properties) tree.properties = propertySet(raw.properties as Raw);
  tree.value = raw.isNull ? null : typedValue(raw, datatype);
  return { tree, name, alias, datatype };
}

function inflate(algorithm: string, body: Uint8Array): Buffer {
  if (algorithm === 'GZIP') return gunzipSync(body);
  try {
    return inflateSync(body);
  } catch {
    return inflateRawSync(body);
  }
}

/** Throws when the bytes are not a Sparkplug B payload. */
export function decodeSparkplug(
  bytes: Uint8Array,
  resolve?: (alias: bigint) => MetricInfo | undefined,
): DecodedSparkplug {
  const type = payloadType();
  let raw = type.toObject(type.decode(bytes), OBJECT_OPTIONS) as Raw;
  let compressed: string | undefined;
  if (raw.uuid === COMPRESSED_UUID && raw.body instanceof Uint8Array) {
    const algorithmMetric = ((raw.metrics as Raw[] | undefined) ?? []).find((m) => m.name === 'algorithm');
    compressed = String(algorithmMetric?.stringValue ?? 'DEFLATE').toUpperCase();
    raw = type.toObject(type.decode(inflate(compressed, raw.body)), OBJECT_OPTIONS) as Raw;
  }
  const metrics = ((raw.metrics as Raw[] | undefined) ?? []).map((m) => metric(m, resolve));
  const tree: TreeObject = {};
  if (raw.timestamp !== undefined) tree.timestamp = new Instant(big(raw.timestamp));
  const seq = raw.seq === undefined ? undefined : Number(raw.seq);
  if (seq !== undefined) tree.seq = seq;
  if (raw.uuid !== undefined) tree.uuid = String(raw.uuid);
  if (raw.body !== undefined) tree.body = raw.body as Uint8Array;
  if (compressed !== undefined) tree.compressed = compressed;
  tree.metrics = metrics.map((m) => m.tree);
  return {
    tree,
    seq,
    metrics: metrics.map(({ name, alias, datatype }) => ({ name, alias, datatype })),
    compressed,
  };
}
