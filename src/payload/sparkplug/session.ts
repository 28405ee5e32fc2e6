/**
 * What `mqx sub` remembers of Sparkplug B traffic for as long as it runs: the metric names and
 * datatypes each edge node and device announced in its latest BIRTH (DATA messages may name
 * metrics by alias only), and each edge node's last `seq`, to report gaps and resets. Topics are
 * spBv1.0/GROUP/TYPE/EDGE[/DEVICE], and spBv1.0/STATE/HOST for a host application's JSON state.
 */
import { Instant, type Tree, type TreeObject } from '../tree.js';
import { decodeSparkplug, type MetricInfo } from './decode.js';

export const NAMESPACE = 'spBv1.0';

const NODE_TYPES = new Set(['NBIRTH', 'NDEATH', 'NDATA', 'NCMD']);
const DEVICE_TYPES = new Set(['DBIRTH', 'DDEATH', 'DDATA', 'DCMD']);
/** Messages an edge node numbers: every one it sends after its NBIRTH, except its will. */
const SEQUENCED = new Set(['NDATA', 'DBIRTH', 'DDATA', 'DDEATH']);

export type SparkplugTopic =
  | { kind: 'state'; host: string }
  | { kind: 'edge'; group: string; type: string; edge: string; device: string | undefined };

export function parseTopic(topic: string): SparkplugTopic | undefined {
  const parts = topic.split('/');
  if (parts[0] !== NAMESPACE) return undefined;
  if (parts[1] === 'STATE' && parts.length === 3 && parts[2]) return { kind: 'state', host: parts[2] };
  const [, group, type = '', edge, device] = parts;
  if (!group || !edge) return undefined;
  if (NODE_TYPES.has(type) && parts.length === 4)
    return { kind: 'edge', group, type, edge, device: undefined };
  if (DEVICE_TYPES.has(type) && parts.length === 5 && device)
    return { kind: 'edge', group, type, edge, device };
  return undefined;
}

/** A host application's STATE message (specification 7.4: {"online", "timestamp"}), or undefined if not JSON. */
export function decodeState(host: string, bytes: Uint8Array): TreeObject | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    return undefined;
  }
  const tree: TreeObject = { messageType: 'STATE', hostId: host };
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return { ...tree, value: doc as Tree };
  for (const [key, value] of Object.entries(doc)) {
    tree[key] = key === 'timestamp' && Number.isInteger(value) ? new Instant(BigInt(value)) : (value as Tree);
  }
  return tree;
}

export class SparkplugSession {
  /** By GROUP/EDGE (node metrics) and GROUP/EDGE/DEVICE. */
  private readonly aliases = new Map<string, Map<bigint, MetricInfo>>();
  /** The seq expected next from GROUP/EDGE. */
  private readonly expected = new Map<string, number>();

  constructor(private readonly warn: (line: string) => void) {}

  /** Throws when the bytes are not a Sparkplug B payload; the session is then unchanged. */
  decode(topic: string, where: Extract<SparkplugTopic, { kind: 'edge' }>, bytes: Uint8Array): TreeObject {
    const node = `${where.group}/${where.edge}`;
    const own = where.device === undefined ? node : `${node}/${where.device}`;
    const resolve = (alias: bigint) =>
      this.aliases.get(own)?.get(alias) ?? this.aliases.get(node)?.get(alias);
    const decoded = decodeSparkplug(bytes, resolve);

    if (where.type === 'NBIRTH' || where.type === 'DBIRTH') {
      if (where.type === 'NBIRTH') {
        for (const key of this.aliases.keys())
          if (key === node || key.startsWith(`${node}/`)) this.aliases.delete(key);
      }
      const known = new Map<bigint, MetricInfo>();
      for (const m of decoded.metrics)
        if (m.alias !== undefined && m.name !== undefined)
          known.set(m.alias, { name: m.name, datatype: m.datatype });
      this.aliases.set(own, known);
    } else {
      const unknown = decoded.metrics.filter((m) => m.name === undefined && m.alias !== undefined);
      if (unknown.length > 0) {
        const list = unknown.map((m) => m.alias).join(', ');
        this.warn(`warning: ${topic}: alias ${list} not in a BIRTH seen since mqx started`);
      }
    }
    this.checkSeq(topic, node, where.type, decoded.seq);

    const head: TreeObject = { messageType: where.type, group: where.group, edgeNode: where.edge };
    if (where.device !== undefined) head.device = where.device;
    return { ...head, ...decoded.tree };
  }

  private checkSeq(topic: string, node: string, type: string, seq: number | undefined): void {
    if (type === 'NDEATH') {
      this.expected.delete(node);
      return;
    }
    if (seq === undefined) {
      if (type === 'NBIRTH' || SEQUENCED.has(type)) this.warn(`warning: ${topic}: no seq`);
      return;
    }
    if (type === 'NBIRTH') {
      this.expected.set(node, (seq + 1) % 256);
      return;
    }
    if (!SEQUENCED.has(type)) return;
    const expected = this.expected.get(node);
    if (expected !== undefined && seq !== expected) {
      this.warn(
        seq === 0
          ? `warning: ${topic}: seq reset to 0 (expected ${expected}) without a new NBIRTH`
          : `warning: ${topic}: seq gap: expected ${expected}, got ${seq}`,
      );
    }
    this.expected.set(node, (seq + 1) % 256);
  }
}
