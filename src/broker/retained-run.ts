import { stringSize } from '../protocol/fields.js';
import { plainPublishSize, writePlainPublish } from '../protocol/plain-publish.js';
import { type Connection, State } from './connection.js';
import type { Message } from './message.js';
import type { Outgoing } from './session.js';

/** Each buffer of runs: what makes a connection's writes leave before the turn ends (connection.ts). */
const RUN_BUFFER = 64 * 1024;
/**
 * The buffer the last run wrote into, and where its bytes end: the next run goes on after them
 * (those before are the sockets' until written, and never written to again), so runs of a few
 * hundred messages do not each take 64 KB.
 */
let spare: Buffer | undefined;
let spareAt = 0;
/** PUBLISH with retain set [MQTT-3.3.1-8]; the QoS goes in bits 1-2. */
const RETAINED = 0x31;

/**
 * Sends retained copies of a new subscription's matches, encoded in one loop straight into
 * buffers that the connection writes as they fill: QoS 0 ones as `messages[from..]`, or, given
 * `outs`, QoS 1/2 deliveries `outs[from..]` already in the session's inflight window. The
 * per-message path (sendPublish: a shared header staged, entries, a copy at flush) runs several
 * times more code per message, and a replay is when that code is cold: the first `#` subscriber
 * of a broker just started with its retained messages. Returns the index of the first one that
 * needs the per-message path, for the caller to send it that way: at once where no plain packet
 * will do for this connection (a packet log, a mount point, 5.0 topic aliases or subscription
 * identifiers), else at a 5.0 message with properties or an expiry, one over the client's
 * Maximum Packet Size, or a QoS 0 one to a congested connection.
 */
export function sendRetainedRun(
  conn: Connection,
  from: number,
  subscriptionIds: number[] | undefined,
  messages: readonly Message[],
  outs?: readonly Outgoing[],
): number {
  const broker = conn.broker;
  if (conn.state !== State.Connected || conn.peer.mountPoint !== undefined || broker.log.packets) return from;
  const v5 = conn.version === 5;
  const limits = conn.limits;
  if (v5 && (subscriptionIds !== undefined || limits.topicAliasMaximum > 0)) return from;
  const maximumPacketSize = limits.maximumPacketSize;
  const count = outs === undefined ? messages.length : outs.length;
  /** What the backlog may still take before QoS 0 messages count as congested: QoS 1/2 ones wait in no backlog. */
  let room = outs === undefined ? broker.qos0Backlog - conn.backlog : Number.POSITIVE_INFINITY;
  const stats = broker.stats;
  let buf = spare;
  let at = spareAt;
  let start = at;
  let i = from;
  for (; i < count; i++) {
    const out = outs?.[i];
    const message = out === undefined ? messages[i]! : out.message;
    if (v5 && (message.properties !== undefined || message.expiresAt !== 0)) break;
    if (room < 0) {
      if (buf !== undefined && at > start) conn.write(buf.subarray(start, at));
      start = at;
      room = broker.qos0Backlog - conn.backlog;
      if (room < 0) break;
    }
    const payload = message.payload;
    const topicSize = stringSize(message.topic);
    const size = plainPublishSize(topicSize, payload.length, out !== undefined, v5);
    if (size < 0 || (maximumPacketSize > 0 && size > maximumPacketSize)) break;
    if (buf === undefined || at + size > buf.length) {
      if (buf !== undefined && at > start) conn.write(buf.subarray(start, at));
      buf = Buffer.allocUnsafe(Math.max(RUN_BUFFER, size));
      at = 0;
      start = 0;
    }
    const qos = out === undefined ? 0 : out.qos;
    at = writePlainPublish(
      buf,
      at,
      RETAINED | (qos << 1),
      message.topic,
      topicSize,
      out?.packetId ?? 0,
      v5,
      payload,
    );
    if (out !== undefined) {
      out.sent = true;
      conn.unacknowledged++;
    }
    room -= size;
    stats.publishSentByQos[qos]!++;
    stats.publishBytesSent += payload.length;
  }
  if (buf !== undefined && at > start) conn.write(buf.subarray(start, at));
  spare = buf;
  spareAt = at;
  stats.publishSent += i - from;
  return i;
}
