/**
 * A decoded payload before it is printed. Decoders keep what plain JSON would lose: 64-bit
 * integers as bigint, points in time as Instant, bytes as Uint8Array. Two renderings follow from
 * one tree: toJson for --json (64-bit integers as strings, as protobuf's JSON mapping has them, so
 * a typed consumer sees one type per field), and toPeople for the terminal (exact digits, ISO 8601
 * times).
 */
export type Tree = null | boolean | number | string | bigint | Instant | Uint8Array | Tree[] | TreeObject;
export interface TreeObject {
  [key: string]: Tree;
}

/** Milliseconds since the Unix epoch. */
export class Instant {
  /** `valueType`: a DateTime value, a string in --json like the other 64-bit values; else a number. */
  constructor(
    readonly ms: bigint,
    readonly valueType = false,
  ) {}

  iso(): string | undefined {
    const date = new Date(Number(this.ms));
    return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
  }
}

/**
 * Sets an own property even for the key `__proto__`, which plain assignment would turn into a
 * prototype change, dropping the key from the output.
 */
export function setKey<T>(object: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__')
    Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
  else object[key] = value;
}

const base64 = (bytes: Uint8Array) =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');

export function toJson(tree: Tree): unknown {
  if (typeof tree === 'bigint') return String(tree);
  if (typeof tree === 'number') return Number.isFinite(tree) ? tree : String(tree);
  if (tree instanceof Instant) return tree.valueType ? String(tree.ms) : Number(tree.ms);
  if (tree instanceof Uint8Array) return base64(tree);
  if (Array.isArray(tree)) return tree.map(toJson);
  if (tree !== null && typeof tree === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(tree)) setKey(out, key, toJson(value));
    return out;
  }
  return tree;
}

function leaf(tree: Tree): string | undefined {
  if (typeof tree === 'bigint') return String(tree);
  if (typeof tree === 'number') return Number.isFinite(tree) ? String(tree) : JSON.stringify(String(tree));
  if (tree instanceof Instant) {
    const iso = tree.iso();
    return iso === undefined ? String(tree.ms) : JSON.stringify(iso);
  }
  if (tree instanceof Uint8Array) return JSON.stringify(base64(tree));
  if (tree === null || typeof tree !== 'object') return JSON.stringify(tree);
  return undefined;
}

/** JSON text for people: 64-bit integers as their exact digits, times in ISO 8601; indented if `pretty`. */
export function toPeople(tree: Tree, pretty: boolean, depth = 0): string {
  const simple = leaf(tree);
  if (simple !== undefined) return simple;
  const entries: Array<[string | undefined, Tree]> = Array.isArray(tree)
    ? tree.map((v) => [undefined, v])
    : Object.entries(tree as TreeObject);
  const [open, close] = Array.isArray(tree) ? ['[', ']'] : ['{', '}'];
  if (entries.length === 0) return open + close;
  const items = entries.map(
    ([key, value]) =>
      (key === undefined ? '' : `${JSON.stringify(key)}:${pretty ? ' ' : ''}`) +
      toPeople(value, pretty, depth + 1),
  );
  if (!pretty) return open + items.join(',') + close;
  const indent = '  '.repeat(depth + 1);
  return `${open}\n${indent}${items.join(`,\n${indent}`)}\n${'  '.repeat(depth)}${close}`;
}

/** A decoder's bigint as a number when that is exact, so small integers stay numbers. */
export function exactInteger(n: bigint): number | bigint {
  return n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
}
