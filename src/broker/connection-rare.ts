import type { Packet, PublishPacket, Will } from '../protocol/types.js';
import type { ClientLimits, Remote } from './connection.js';
import type { Fifo } from './fifo.js';

export interface TopicAliases {
  /** The client's, by alias. */
  readonly in: Map<number, string>;
  /** Ours, by topic. */
  readonly out: Map<string, number>;
}

export interface InboundWindow {
  /** QoS 2 PUBLISHes received and not yet released. */
  pending: number;
  /** Since when `pending` has been over the Receive Maximum with no PUBREL (epoch ms); 0 while not. */
  overSince: number;
}

/** The PUBLISHes a connection holds while a session it feeds is congested. */
export interface Parked {
  readonly packets: Fifo<PublishPacket>;
  bytes: number;
  /** The broker stopped reading the socket: too much is parked. */
  readsPaused: boolean;
  /** A DISCONNECT is flushing them: route them whatever the congestion. */
  flushing: boolean;
}

/**
 * The state of a connection that most connections never have, in one object made when the first
 * of it is set (a WebSocket's connection makes it at once, for its remote end and byte counts):
 * fields an idle TCP connection does not carry.
 */
export class RareState {
  will: Will | undefined = undefined;
  /** Set by a 5.0 CONNECT that gives a Receive Maximum, Maximum Packet Size or Topic Alias Maximum. */
  limits: ClientLimits | undefined = undefined;
  closeReason: string | undefined = undefined;
  disconnectedCleanly = false;
  isBridge = false;
  /** Packets that arrived while CONNECT was being authenticated, handled once it is. */
  held: Packet[] | undefined = undefined;
  aliases: TopicAliases | undefined = undefined;
  inboundWindow: InboundWindow | undefined = undefined;
  /** PUBLISHes held while a session this connection feeds is congested; undefined while none is. */
  parked: Parked | undefined = undefined;
  /** Given by the listener where the socket cannot tell it (WebSocket) or with a certificate's username (TLS). */
  remoteEnd: Remote | undefined = undefined;
  /** Bytes either way since this was made: the counts of a socket that keeps none (a WebSocket's stream). */
  bytesIn = 0;
  bytesOut = 0;
}
