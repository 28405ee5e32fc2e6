/**
 * The subscription trie: one node per filter level, with `+` and `#` kept apart from literal
 * children so that matching a topic visits only the branches that can match. It keeps no
 * per-topic results: the broker's router caches what a topic reaches (src/broker/router.ts).
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

function newNode<T>(): TrieNode<T> {
  return { children: new Map(), plus: undefined, hash: undefined, values: undefined };
}

function isEmptyNode<T>(node: TrieNode<T>): boolean {
  return node.children.size === 0 && !node.plus && !node.hash && (!node.values || node.values.size === 0);
}

export class SubscriptionTrie<T> {
  private readonly root: TrieNode<T> = newNode();
  private count = 0;

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
    return true;
  }

  /** Every value whose filter matches topic. */
  match(topic: string): T[] {
    const out: T[] = [];
    this.collect(this.root, topic.split('/'), 0, topic.charCodeAt(0) === 36 /* $ */, out);
    return out;
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
}

function pushValues<T>(values: Map<string, T> | undefined, out: T[]): void {
  if (!values) return;
  for (const value of values.values()) out.push(value);
}
