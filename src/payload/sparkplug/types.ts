/** Sparkplug B data types (specification 6.4.16) by their wire number, and how each value is carried. */
export const DATATYPES = [
  'Unknown',
  'Int8',
  'Int16',
  'Int32',
  'Int64',
  'UInt8',
  'UInt16',
  'UInt32',
  'UInt64',
  'Float',
  'Double',
  'Boolean',
  'String',
  'DateTime',
  'Text',
  'UUID',
  'DataSet',
  'Bytes',
  'File',
  'Template',
  'PropertySet',
  'PropertySetList',
  'Int8Array',
  'Int16Array',
  'Int32Array',
  'Int64Array',
  'UInt8Array',
  'UInt16Array',
  'UInt32Array',
  'UInt64Array',
  'FloatArray',
  'DoubleArray',
  'BooleanArray',
  'StringArray',
  'DateTimeArray',
] as const;

export type DataTypeName = (typeof DATATYPES)[number];

export function datatypeName(n: number | undefined): DataTypeName | undefined {
  return n === undefined ? undefined : DATATYPES[n];
}

/** A datatype given by name or number in JSON input; undefined when it is neither. */
export function datatypeNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) && DATATYPES[value] ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const n = DATATYPES.indexOf(value as DataTypeName);
  return n === -1 ? undefined : n;
}

/** Which oneof field carries a value of this type (specification 6.4.16, "the value field to use"). */
export function valueField(datatype: number): string | undefined {
  const name = DATATYPES[datatype];
  switch (name) {
    case 'Int8':
    case 'Int16':
    case 'Int32':
    case 'UInt8':
    case 'UInt16':
    case 'UInt32':
      return 'intValue';
    case 'Int64':
    case 'UInt64':
    case 'DateTime':
      return 'longValue';
    case 'Float':
      return 'floatValue';
    case 'Double':
      return 'doubleValue';
    case 'Boolean':
      return 'booleanValue';
    case 'String':
    case 'Text':
    case 'UUID':
      return 'stringValue';
    case 'DataSet':
      return 'datasetValue';
    case 'Template':
      return 'templateValue';
    case 'PropertySet':
      return 'propertysetValue';
    case 'PropertySetList':
      return 'propertysetsValue';
    case undefined:
    case 'Unknown':
      return undefined;
    default:
      return 'bytesValue';
  }
}

/** The element width and reader of a packed array type (specification 6.4.17: little endian). */
export interface ArrayLayout {
  size: number;
  read: (view: DataView, offset: number) => number | bigint | boolean;
  write: (view: DataView, offset: number, value: number | bigint | boolean) => void;
}

const num = (v: number | bigint | boolean) => Number(v);
const big = (v: number | bigint | boolean) => BigInt(v as number | bigint);

export const ARRAY_LAYOUTS: Partial<Record<DataTypeName, ArrayLayout>> = {
  Int8Array: { size: 1, read: (d, o) => d.getInt8(o), write: (d, o, v) => d.setInt8(o, num(v)) },
  Int16Array: {
    size: 2,
    read: (d, o) => d.getInt16(o, true),
    write: (d, o, v) => d.setInt16(o, num(v), true),
  },
  Int32Array: {
    size: 4,
    read: (d, o) => d.getInt32(o, true),
    write: (d, o, v) => d.setInt32(o, num(v), true),
  },
  Int64Array: {
    size: 8,
    read: (d, o) => d.getBigInt64(o, true),
    write: (d, o, v) => d.setBigInt64(o, big(v), true),
  },
  UInt8Array: { size: 1, read: (d, o) => d.getUint8(o), write: (d, o, v) => d.setUint8(o, num(v)) },
  UInt16Array: {
    size: 2,
    read: (d, o) => d.getUint16(o, true),
    write: (d, o, v) => d.setUint16(o, num(v), true),
  },
  UInt32Array: {
    size: 4,
    read: (d, o) => d.getUint32(o, true),
    write: (d, o, v) => d.setUint32(o, num(v), true),
  },
  UInt64Array: {
    size: 8,
    read: (d, o) => d.getBigUint64(o, true),
    write: (d, o, v) => d.setBigUint64(o, big(v), true),
  },
  FloatArray: {
    size: 4,
    read: (d, o) => d.getFloat32(o, true),
    write: (d, o, v) => d.setFloat32(o, num(v), true),
  },
  DoubleArray: {
    size: 8,
    read: (d, o) => d.getFloat64(o, true),
    write: (d, o, v) => d.setFloat64(o, num(v), true),
  },
  DateTimeArray: {
    size: 8,
    read: (d, o) => d.getBigInt64(o, true),
    write: (d, o, v) => d.setBigInt64(o, big(v), true),
  },
};
