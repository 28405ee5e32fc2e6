import type { Will } from '../protocol/types.js';
import type { Message } from './message.js';

/**
 * What the broker asks of a cluster (src/cluster) at the points where other nodes matter. The
 * broker works alone when there is none; each hook is called on the broker's own paths.
 */
export interface ClusterHooks {
  /**
   * A share group with members here is about to take a message published on this node: true
   * when the cluster's turn-taking gives it to a member on another node instead.
   */
  sharedElsewhere(groupKey: string, topic: string): boolean;
  /**
   * After local routing: sends the message to the other nodes that want it and records what
   * must outlive this node. Returns how many nodes it went to.
   */
  forward(message: Message): number;
  /**
   * The writes the last forward() started, when the message may only be acknowledged once
   * Redis has them; undefined when the acknowledgement need not wait. Cleared by the call.
   */
  takeDurable(): Promise<void> | undefined;
  /** Before CONNACK: brings the client's session here from whichever node holds it. */
  claim(clientId: string, cleanStart: boolean): Promise<void>;
  /** A connection with a will was accepted here, so another node can publish it if this one dies. */
  willSet(clientId: string, will: Will, connection: object): void;
  /** That connection closed: its will was published, scheduled here, or cancelled. */
  willDone(clientId: string, connection: object): void;
  stop(): Promise<void>;
  /** How many nodes are registered in the cluster now, this one included (for metrics). */
  nodeCount(): Promise<number>;
}
