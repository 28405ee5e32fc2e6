/**
 * The Redis keys and channels of one cluster. Every key carries the same hash tag, so on a
 * Redis Cluster they share a slot and pipelines and scripts that touch several keys still work.
 */
export class ClusterKeys {
  private readonly p: string;

  constructor(prefix: string) {
    this.p = `{${prefix}}`;
  }

  /** Hash: node id → what it said about itself when it joined. */
  get nodes(): string {
    return `${this.p}:nodes`;
  }
  /** Exists while the node is alive (a heartbeat with an expiry). */
  alive(node: string): string {
    return `${this.p}:alive:${node}`;
  }
  /** Set of the node's subscriptions (see directory.ts). */
  subs(node: string): string {
    return `${this.p}:subs:${node}`;
  }
  /** Stream of messages other nodes forwarded to the node. */
  inbox(node: string): string {
    return `${this.p}:inbox:${node}`;
  }
  /** Stream of messages published on the node for its own persistent sessions. */
  log(node: string): string {
    return `${this.p}:log:${node}`;
  }
  /** Set of the client ids of the node's persistent sessions. */
  sessions(node: string): string {
    return `${this.p}:sessions:${node}`;
  }
  /** Hash: client id → the will of a client connected to the node. */
  wills(node: string): string {
    return `${this.p}:wills:${node}`;
  }
  /** Hash of the node's counters, for $SYS cluster totals. */
  stats(node: string): string {
    return `${this.p}:stats:${node}`;
  }
  /** Which node adopts a dead node's sessions. */
  adopt(node: string): string {
    return `${this.p}:adopt:${node}`;
  }
  /** Which node holds the client's session. */
  owner(clientId: string): string {
    return `${this.p}:owner:${clientId}`;
  }
  /** The persistent session's subscriptions and settings (codec.ts SessionRecord). */
  session(clientId: string): string {
    return `${this.p}:session:${clientId}`;
  }
  /** A session in transit between two nodes, by request id. */
  handoff(requestId: string): string {
    return `${this.p}:handoff:${requestId}`;
  }
  /** Hash: topic → retained message. */
  get retained(): string {
    return `${this.p}:retained`;
  }
  /** Channel every node listens on: subscription changes, retained updates, departures. */
  get broadcast(): string {
    return `${this.p}:ctl`;
  }
  /** Channel of one node: requests and replies addressed to it. */
  direct(node: string): string {
    return `${this.p}:ctl:${node}`;
  }
}
