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

  /**
   * Every value whose filter matches topic. Walked with a stack, not recursion: a topic may have
   * 30,000 levels, deeper than the JavaScript stack goes. At each level the exact child's subtree
   * comes first, then `+`'s, then `#`'s values, as a recursive walk would give them.
   */
  match(topic: string): T[] {
    const out: T[] = [];
    const levels = topic.split('/');
    // [MQTT-4.7.2-1] a filter starting with a wildcard does not match a topic starting with $.
    const dollar = topic.charCodeAt(0) === 36; /* $ */
    const nodes: TrieNode<T>[] = [this.root];
    /** The depth of each node on the stack; HASH_VALUES: emit the node's `#` values. */
    const depths: number[] = [0];
    for (let node = nodes.pop(); node !== undefined; node = nodes.pop()) {
      const depth = depths.pop()!;
      if (depth === HASH_VALUES) {
        pushValues(node.hash!.values, out);
        continue;
      }
      if (depth === levels.length) {
        pushValues(node.values, out);
        // `a/#` also matches `a`: the # stands for the parent level and any below it.
        if (node.hash) pushValues(node.hash.values, out);
        continue;
      }
      if (depth > 0 || !dollar) {
        if (node.hash) {
          nodes.push(node);
          depths.push(HASH_VALUES);
        }
        if (node.plus) {
          nodes.push(node.plus);
          depths.push(depth + 1);
        }
      }
      const child = node.children.get(levels[depth]!);
      if (child) {
        nodes.push(child);
        depths.push(depth + 1);
      }
    }
    return out;
  }
}

const HASH_VALUES = -1;

function pushValues<T>(values: Map<string, T> | undefined, out: T[]): void {
  if (!values) return;
  for (const value of values.values()) out.push(value);
}
