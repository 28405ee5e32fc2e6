/**
 * The subscription trie: one node per filter level, with `+` and `#` kept apart from literal
 * children so that matching a topic visits only the branches that can match. The broker calls
 * `match` once per PUBLISH, so results are cached per topic and invalidated precisely (see
 * `invalidate`) instead of being cleared on every SUBSCRIBE.
 *
 * Filters must already be valid (src/topics/validate.ts) and stripped of `$share/GROUP/`.
 */

interface TrieNode<T> {
  readonly children: Map<string, TrieNode<T>>;
  plus: TrieNode<T> | undefined;
  hash: TrieNode<T> | undefined;
  /** Values of the filters that end at this node, by key. */
  values: Map<string, T> | undefined;
}

/** A modification stamp shared by every cached topic with the same first level. */
interface Bucket {
  stamp: number;
}

interface CacheEntry<T> {
  readonly values: readonly T[];
  /** The clock when the entry was computed. */
  readonly stamp: number;
  readonly bucket: Bucket;
  /** Topics starting with `$` are never matched by filters starting with a wildcard. */
  readonly dollar: boolean;
}

export interface SubscriptionTrieOptions {
  /** Most topics whose match result is kept; 0 disables the cache. */
  cacheSize?: number;
}

const EMPTY: readonly never[] = Object.freeze([]);

function newNode<T>(): TrieNode<T> {
  return { children: new Map(), plus: undefined, hash: undefined, values: undefined };
}

function isEmptyNode<T>(node: TrieNode<T>): boolean {
  return node.children.size === 0 && !node.plus && !node.hash && (!node.values || node.values.size === 0);
}

export class SubscriptionTrie<T> {
  private readonly root: TrieNode<T> = newNode();
  private count = 0;

  private readonly cacheSize: number;
  private readonly cache = new Map<string, CacheEntry<T>>();
  /** Per first topic level; only levels that some cached topic has. */
  private readonly buckets = new Map<string, Bucket>();
  /** Advances on every modification; an entry is stale once something it depends on is newer. */
  private clock = 0;
  /** Last change to a filter starting with + or #, which can affect every non-$ topic. */
  private wildStamp = 0;

  constructor(options: SubscriptionTrieOptions = {}) {
    this.cacheSize = options.cacheSize ?? 10_000;
  }

  /** Number of (filter, key) pairs. */
  get size(): number {
    return this.count;
  }

  /** Stores value under (filter, key), replacing any earlier one; true if the pair is new. */
  add(filter: string, key: string, value: T): boolean {
    const levels = filter.split('/');
    let node = this.root;
    for (const level of levels) {
      let next: TrieNode<T> | undefined;
      if (level === '+') next = node.plus ??= newNode();
      else if (level === '#') next = node.hash ??= newNode();
      else {
        next = node.children.get(level);
        if (!next) {
          next = newNode();
          node.children.set(level, next);
        }
      }
      node = next;
    }
    node.values ??= new Map();
    const isNew = !node.values.has(key);
    node.values.set(key, value);
    if (isNew) this.count++;
    this.invalidate(filter, levels);
    return isNew;
  }

  /** Removes the value under (filter, key); true if there was one. */
  remove(filter: string, key: string): boolean {
    const levels = filter.split('/');
    const path: TrieNode<T>[] = [this.root];
    let node: TrieNode<T> | undefined = this.root;
    for (const level of levels) {
      node = level === '+' ? node.plus : level === '#' ? node.hash : node.children.get(level);
      if (!node) return false;
      path.push(node);
    }
    if (!node.values?.delete(key)) return false;
    this.count--;
    // Prune the nodes left empty, deepest first, so that churn does not leave dead branches.
    for (let i = levels.length; i > 0; i--) {
      const child = path[i]!;
      if (!isEmptyNode(child)) break;
      const parent = path[i - 1]!;
      const level = levels[i - 1]!;
      if (level === '+') parent.plus = undefined;
      else if (level === '#') parent.hash = undefined;
      else parent.children.delete(level);
    }
    this.invalidate(filter, levels);
    return true;
  }

  /**
   * Every value whose filter matches topic. The array is shared with the cache: callers must not
   * modify it.
   */
  match(topic: string): readonly T[] {
    const cached = this.cache.get(topic);
    if (
      cached !== undefined &&
      cached.stamp >= cached.bucket.stamp &&
      (cached.dollar || cached.stamp >= this.wildStamp)
    ) {
      return cached.values;
    }
    const levels = topic.split('/');
    const dollar = topic.charCodeAt(0) === 36; /* $ */
    const out: T[] = [];
    this.collect(this.root, levels, 0, dollar, out);
    const values: readonly T[] = out.length === 0 ? EMPTY : out;
    if (this.cacheSize > 0) this.remember(topic, levels[0]!, dollar, values);
    return values;
  }

  private collect(node: TrieNode<T>, levels: string[], depth: number, dollar: boolean, out: T[]): void {
    if (depth === levels.length) {
      pushValues(node.values, out);
      // `a/#` also matches `a`: the # stands for the parent level and any below it.
      if (node.hash) pushValues(node.hash.values, out);
      return;
    }
    const child = node.children.get(levels[depth]!);
    if (child) this.collect(child, levels, depth + 1, dollar, out);
    // [MQTT-4.7.2-1] a filter starting with a wildcard does not match a topic starting with $.
    if (depth === 0 && dollar) return;
    if (node.plus) this.collect(node.plus, levels, depth + 1, dollar, out);
    if (node.hash) pushValues(node.hash.values, out);
  }

  private remember(topic: string, firstLevel: string, dollar: boolean, values: readonly T[]): void {
    // Buckets are dropped with the entries that reference them; otherwise a later modification
    // would stamp a new bucket while old entries kept checking the orphaned one.
    if (this.buckets.size >= this.cacheSize * 2) {
      this.cache.clear();
      this.buckets.clear();
    }
    let bucket = this.buckets.get(firstLevel);
    if (!bucket) {
      bucket = { stamp: 0 };
      this.buckets.set(firstLevel, bucket);
    }
    if (!this.cache.has(topic) && this.cache.size >= this.cacheSize) {
      // Oldest first: Map iterates in insertion order.
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
    this.cache.set(topic, { values, stamp: this.clock, bucket, dollar });
  }

  /**
   * Marks stale exactly the cached topics a changed filter can match: an exact filter affects one
   * topic; a filter with a literal first level affects the topics sharing that level; only a
   * filter starting with a wildcard affects all (non-$) topics. Subscription churn on distinct
   * subtrees therefore leaves the rest of the cache warm.
   */
  private invalidate(filter: string, levels: string[]): void {
    const first = levels[0]!;
    if (first === '+' || first === '#') {
      this.wildStamp = ++this.clock;
    } else if (!filter.includes('+') && !filter.includes('#')) {
      this.cache.delete(filter);
    } else {
      const bucket = this.buckets.get(first);
      // No bucket means no cached topic starts with this level, so nothing can be stale.
      if (bucket) bucket.stamp = ++this.clock;
    }
  }
}

function pushValues<T>(values: Map<string, T> | undefined, out: T[]): void {
  if (!values) return;
  for (const value of values.values()) out.push(value);
}
