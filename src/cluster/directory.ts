import { SubscriptionTrie } from '../topics/trie.js';

/**
 * Which nodes subscribe to what: one entry per (node, filter, share group), replicated through
 * Redis and cached here, so a node forwards a message only to the nodes that want it.
 */

/** How an entry is written in Redis: `share-group NUL filter`; the group is '' for plain ones. */
export function directoryEntry(group: string, filter: string): string {
  return `${group}\u0000${filter}`;
}

export function parseDirectoryEntry(entry: string): { group: string; filter: string } {
  const nul = entry.indexOf('\u0000');
  return { group: entry.slice(0, nul), filter: entry.slice(nul + 1) };
}

interface Holder {
  readonly node: string;
  /** Share group key as the router names it (group NUL filter), or '' for plain subscriptions. */
  readonly groupKey: string;
}

export interface RemoteTargets {
  /** Nodes with plain subscriptions that match. */
  plain: Set<string>;
  /** Share group key → the nodes with members in it. */
  shared: Map<string, string[]>;
}

export class Directory {
  private readonly trie = new SubscriptionTrie<Holder>();
  private readonly byNode = new Map<string, Set<string>>();

  constructor(private readonly self: string) {}

  add(node: string, entry: string): void {
    if (node === this.self) return;
    let entries = this.byNode.get(node);
    if (entries === undefined) {
      entries = new Set();
      this.byNode.set(node, entries);
    }
    if (entries.has(entry)) return;
    entries.add(entry);
    const { group, filter } = parseDirectoryEntry(entry);
    this.trie.add(filter, `${node}\u0000${group}`, { node, groupKey: group === '' ? '' : entry });
  }

  remove(node: string, entry: string): void {
    if (!this.byNode.get(node)?.delete(entry)) return;
    const { group, filter } = parseDirectoryEntry(entry);
    this.trie.remove(filter, `${node}\u0000${group}`);
  }

  /** Forgets a node: it left, died, or its entries are about to be reloaded. */
  dropNode(node: string): void {
    for (const entry of [...(this.byNode.get(node) ?? [])]) this.remove(node, entry);
    this.byNode.delete(node);
  }

  get nodes(): string[] {
    return [...this.byNode.keys()];
  }

  /** The other nodes a topic reaches, or undefined when it reaches none. */
  match(topic: string): RemoteTargets | undefined {
    const holders = this.trie.match(topic);
    if (holders.length === 0) return undefined;
    const targets: RemoteTargets = { plain: new Set(), shared: new Map() };
    for (const h of holders) {
      if (h.groupKey === '') {
        targets.plain.add(h.node);
        continue;
      }
      const nodes = targets.shared.get(h.groupKey);
      if (nodes === undefined) targets.shared.set(h.groupKey, [h.node]);
      else if (!nodes.includes(h.node)) nodes.push(h.node);
    }
    return targets;
  }
}
