/**
 * The topic tree explore shows: one node per topic level, with message counts, a decaying rate,
 * the last message, a bounded history and the retained state. Pure: time comes in as arguments,
 * nothing here does I/O, so tests drive it with made-up clocks.
 *
 * Memory is bounded per topic: the last payload (and its decoded text) is kept up to LAST_BYTES,
 * the HISTORY messages before it up to HISTORY_BYTES each, and SPARK numbers for the sparkline.
 * Payloads are copied: the client's buffers can be views into a whole socket read, which a kept
 * slice would pin.
 */
import { topicMatches } from '../client/match.js';
import type { Properties, QoS } from '../protocol/types.js';
import { validateTopicFilter } from '../topics/validate.js';
import type { Decoded } from './decoding.js';
import { numericValue } from './payload-view.js';

export const LAST_BYTES = 16 * 1024;
export const HISTORY = 10;
export const HISTORY_BYTES = 256;
export const SPARK = 48;
/** The rate is an exponentially decaying average over about this many seconds. */
const RATE_TAU_S = 5;

export interface TopicMessage {
  payload: Buffer;
  /** The payload's real size; `payload` may be cut to a bound. */
  size: number;
  qos: QoS;
  retain: boolean;
  properties?: Properties;
  /** Arrival, ms since the epoch. */
  at: number;
  /** What a codec made of the whole payload (its text cut to the same bound as the payload). */
  decoded?: Decoded;
}

export interface Incoming {
  topic: string;
  payload: Buffer;
  qos: QoS;
  retain: boolean;
  properties?: Properties;
  decoded?: Decoded;
}

export class TopicNode {
  children: Map<string, TopicNode> | undefined;
  /** Messages on this topic itself, and in the whole subtree (itself included). */
  count = 0;
  total = 0;
  /** Subtree rate: decayed messages per second as of `rateAt`. */
  private rateValue = 0;
  private rateAt = 0;
  last: TopicMessage | undefined;
  /** Older messages, oldest first; `last` is not among them. */
  history: TopicMessage[] = [];
  values: number[] = [];
  retained = false;
  /** When the retained message was set, or (retainedExact false) when explore first saw it. */
  retainedAt = 0;
  retainedExact = false;
  expanded = false;
  /** Whether the topic matches the search, and how many nodes in the subtree do. */
  match = false;
  hits = 0;
  private sorted: TopicNode[] | undefined;

  constructor(
    readonly name: string,
    readonly path: string,
    readonly parent: TopicNode | undefined,
    readonly depth: number,
  ) {}

  /** Children in topic order; sorted lazily, once per change, not once per message. */
  sortedChildren(): TopicNode[] {
    if (!this.children) return [];
    if (!this.sorted) {
      this.sorted = [...this.children.values()].sort((a, b) =>
        a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
      );
    }
    return this.sorted;
  }

  child(name: string): TopicNode {
    this.children ??= new Map();
    let node = this.children.get(name);
    if (!node) {
      const path = this.parent === undefined ? name : `${this.path}/${name}`;
      node = new TopicNode(name, path, this, this.depth + 1);
      this.children.set(name, node);
      this.sorted = undefined;
    }
    return node;
  }

  get hasChildren(): boolean {
    return this.children !== undefined && this.children.size > 0;
  }

  rate(now: number): number {
    return this.rateValue * Math.exp(-(now - this.rateAt) / 1000 / RATE_TAU_S);
  }

  bump(now: number, replayed: boolean): void {
    this.total++;
    if (replayed) return;
    this.rateValue = this.rate(now) + 1 / RATE_TAU_S;
    this.rateAt = now;
  }
}

export interface Row {
  node: TopicNode;
  /** Drawn at this indentation (the root's children are 0). */
  depth: number;
}

/** A search: an MQTT filter (with a wildcard level) or a regular expression, case-insensitive. */
export interface Search {
  text: string;
  test(topic: string): boolean;
}

export function compileSearch(text: string): Search {
  const levels = text.split('/');
  if (validateTopicFilter(text) === undefined && levels.some((l) => l === '+' || l === '#')) {
    return { text, test: (topic) => topicMatches(text, topic) };
  }
  let re: RegExp;
  try {
    re = new RegExp(text, 'i');
  } catch {
    re = new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'i');
  }
  return { text, test: (topic) => re.test(topic) };
}

function copy(payload: Buffer, bound: number): Buffer {
  return Buffer.from(payload.subarray(0, bound));
}

function cut(decoded: Decoded, bound: number): Decoded {
  const { text, line } = decoded;
  if ((text?.length ?? 0) <= bound && (line?.length ?? 0) <= bound) return decoded;
  return {
    ...decoded,
    ...(text === undefined ? {} : { text: text.slice(0, bound) }),
    ...(line === undefined ? {} : { line: line.slice(0, bound) }),
  };
}

const decodedLength = (d: Decoded | undefined) => Math.max(d?.text?.length ?? 0, d?.line?.length ?? 0);

/** A message moving into the history keeps only what a one-line preview reads. */
function historic(m: TopicMessage): TopicMessage {
  const long = m.size > HISTORY_BYTES || decodedLength(m.decoded) > HISTORY_BYTES;
  if (!long) return m;
  return {
    ...m,
    payload: copy(m.payload, HISTORY_BYTES),
    ...(m.decoded ? { decoded: cut(m.decoded, HISTORY_BYTES) } : {}),
  };
}

export class TopicTree {
  readonly root = new TopicNode('', '', undefined, -1);
  topics = 0;
  messages = 0;
  private searchValue: Search | undefined;
  private rowsCache: Row[] | undefined;

  get search(): Search | undefined {
    return this.searchValue;
  }

  /** Records a message; `live` says a retained one was set just now (not replayed on subscribe). */
  insert(msg: Incoming, now: number, live = false): TopicNode {
    let node = this.root;
    for (const level of msg.topic.split('/')) {
      const known = node.children?.get(level);
      node = known ?? node.child(level);
      if (!known) this.added(node);
    }
    if (node.count === 0) this.topics++;
    node.count++;
    this.messages++;
    // A retained message replayed on subscribing says nothing about how often the topic changes.
    const replayed = msg.retain && !live;
    for (let n: TopicNode | undefined = node; n !== undefined; n = n.parent) n.bump(now, replayed);
    const message: TopicMessage = {
      payload: copy(msg.payload, LAST_BYTES),
      size: msg.payload.length,
      qos: msg.qos,
      retain: msg.retain,
      at: now,
      ...(msg.properties ? { properties: msg.properties } : {}),
      ...(msg.decoded ? { decoded: cut(msg.decoded, LAST_BYTES) } : {}),
    };
    if (node.last) {
      node.history.push(historic(node.last));
      if (node.history.length > HISTORY) node.history.shift();
    }
    node.last = message;
    const value = numericValue(msg.payload);
    if (value !== undefined) {
      node.values.push(value);
      if (node.values.length > SPARK) node.values.shift();
    }
    this.trackRetained(node, msg, now, live);
    return node;
  }

  /**
   * A retained message is seen when it comes with the retain flag (on subscribing, or live with
   * MQTT 5's Retain As Published); an empty payload is how retained messages are cleared, and the
   * broker passes that on too.
   */
  private trackRetained(node: TopicNode, msg: Incoming, now: number, live: boolean): void {
    if (msg.payload.length === 0) {
      if (msg.retain || node.retained) node.retained = false;
      return;
    }
    if (!msg.retain) return;
    if (!node.retained || live) {
      node.retainedAt = now;
      node.retainedExact = live;
    }
    node.retained = true;
  }

  /** Marks a topic's retained message as gone: explore cleared it. */
  clearedRetained(topic: string): void {
    const node = this.find(topic);
    if (node) node.retained = false;
  }

  find(topic: string): TopicNode | undefined {
    let node: TopicNode | undefined = this.root;
    for (const level of topic.split('/')) {
      node = node.children?.get(level);
      if (!node) return undefined;
    }
    return node;
  }

  private added(node: TopicNode): void {
    this.rowsCache = undefined;
    if (this.searchValue?.test(node.path)) this.markHit(node);
  }

  private markHit(node: TopicNode): void {
    node.match = true;
    for (let n: TopicNode | undefined = node; n !== undefined; n = n.parent) n.hits++;
  }

  setSearch(search: Search | undefined): void {
    this.searchValue = search;
    this.rowsCache = undefined;
    this.root.hits = 0;
    this.walk((node) => {
      node.match = false;
      node.hits = 0;
    });
    if (!search) return;
    this.walk((node) => {
      if (search.test(node.path)) this.markHit(node);
    });
  }

  /** Every node below the root, depth first. */
  walk(fn: (node: TopicNode) => void, from: TopicNode = this.root): void {
    const stack = [...from.sortedChildren()].reverse();
    while (stack.length > 0) {
      const node = stack.pop()!;
      fn(node);
      const children = node.sortedChildren();
      for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]!);
    }
  }

  /** Only a node with children opens. */
  setExpanded(node: TopicNode, expanded: boolean): void {
    if (node.expanded === expanded || (expanded && !node.hasChildren)) return;
    node.expanded = expanded;
    this.rowsCache = undefined;
  }

  /**
   * The rows to draw: expanded nodes' children; while searching, the matches and the nodes on
   * the way to them, opened. Rebuilt only after the shape changed, and only as far as it is open.
   */
  rows(): Row[] {
    if (this.rowsCache) return this.rowsCache;
    const rows: Row[] = [];
    const searching = this.searchValue !== undefined;
    const visit = (parent: TopicNode) => {
      for (const node of parent.sortedChildren()) {
        if (searching && node.hits === 0) continue;
        rows.push({ node, depth: node.depth });
        if (searching ? node.hits > (node.match ? 1 : 0) : node.expanded) visit(node);
      }
    };
    visit(this.root);
    this.rowsCache = rows;
    return rows;
  }

  /** The retained topics in a subtree (the node itself included). */
  retainedUnder(node: TopicNode): TopicNode[] {
    const found: TopicNode[] = node.retained ? [node] : [];
    this.walk((n) => {
      if (n.retained) found.push(n);
    }, node);
    return found;
  }
}
