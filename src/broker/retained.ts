import type { Message } from './message.js';

interface Node {
  children: Map<string, Node> | undefined;
  message: Message | undefined;
}

function newNode(): Node {
  return { children: undefined, message: undefined };
}

/** What the broker needs from its retained messages; a cluster can keep them elsewhere. */
export interface RetainedMessages {
  readonly size: number;
  readonly payloadBytes: number;
  /** Stores the message, or clears its topic when the payload is empty. */
  set(message: Message): void;
  get(topic: string): Message | undefined;
  /** Visits every retained message whose topic matches `filter`. */
  match(filter: string, visit: (message: Message) => void): void;
}

/**
 * Retained messages in a tree of topic levels, so a new subscription walks only the branches
 * its filter can match instead of testing every retained topic.
 */
export class RetainedStore implements RetainedMessages {
  private readonly root = newNode();
  private count = 0;
  private bytes = 0;

  get size(): number {
    return this.count;
  }

  get payloadBytes(): number {
    return this.bytes;
  }

  /** Stores the message, or clears the topic when the payload is empty [MQTT-3.3.1-10]. */
  set(message: Message): void {
    const levels = message.topic.split('/');
    if (message.payload.length === 0) {
      this.clear(this.root, levels, 0);
      return;
    }
    let node = this.root;
    for (const level of levels) {
      node.children ??= new Map();
      let child = node.children.get(level);
      if (child === undefined) {
        child = newNode();
        node.children.set(level, child);
      }
      node = child;
    }
    if (node.message === undefined) this.count++;
    else this.bytes -= node.message.payload.length;
    this.bytes += message.payload.length;
    node.message = message;
  }

  get(topic: string): Message | undefined {
    let node: Node | undefined = this.root;
    for (const level of topic.split('/')) {
      node = node.children?.get(level);
      if (node === undefined) return undefined;
    }
    return node.message;
  }

  /** Calls `visit` for every retained message whose topic matches `filter` (no `$share/` prefix). */
  match(filter: string, visit: (message: Message) => void): void {
    this.walk(this.root, filter.split('/'), 0, visit);
  }

  private walk(node: Node, levels: string[], depth: number, visit: (m: Message) => void): void {
    if (depth === levels.length) {
      if (node.message) visit(node.message);
      return;
    }
    const level = levels[depth]!;
    const children = node.children;
    if (level === '#') {
      // `a/#` also matches `a` itself [MQTT-4.7.1-2].
      if (node.message && depth > 0) visit(node.message);
      if (children) this.collect(children, depth === 0, visit);
      return;
    }
    if (children === undefined) return;
    if (level === '+') {
      for (const [name, child] of children) {
        // Wildcards at the first level never match `$` topics [MQTT-4.7.2-1].
        if (depth === 0 && name.startsWith('$')) continue;
        this.walk(child, levels, depth + 1, visit);
      }
      return;
    }
    const child = children.get(level);
    if (child) this.walk(child, levels, depth + 1, visit);
  }

  private collect(children: Map<string, Node>, skipDollar: boolean, visit: (m: Message) => void): void {
    for (const [name, child] of children) {
      if (skipDollar && name.startsWith('$')) continue;
      if (child.message) visit(child.message);
      if (child.children) this.collect(child.children, false, visit);
    }
  }

  private clear(node: Node, levels: string[], depth: number): boolean {
    if (depth === levels.length) {
      if (node.message) {
        this.count--;
        this.bytes -= node.message.payload.length;
        node.message = undefined;
      }
    } else {
      const child = node.children?.get(levels[depth]!);
      if (child && this.clear(child, levels, depth + 1)) node.children!.delete(levels[depth]!);
    }
    return node.message === undefined && (node.children === undefined || node.children.size === 0);
  }
}
