import { Message } from '../broker/message.js';
import { Outgoing, type Session } from '../broker/session.js';
import { decodeProperties, encodeProperties } from '../broker/store/sqlite.js';
import type { StoredSubscription } from '../broker/store/store.js';
import type { QoS } from '../protocol/types.js';

/**
 * How cluster state looks in Redis. Pure: no I/O. A message travels as a small JSON header and
 * its payload as a separate binary field, so forwarding never copies the payload.
 */

interface MessageHeader {
  /** Cluster-wide message id: the publishing node and a sequence number. */
  id: string;
  t: string;
  q: QoS;
  r: 0 | 1;
  p: string | null;
  e: number;
  o: string;
  b: 0 | 1;
  at: number;
}

export function messageHeader(message: Message, id: string): string {
  const header: MessageHeader = {
    id,
    t: message.topic,
    q: message.qos,
    r: message.retain ? 1 : 0,
    p: encodeProperties(message.properties),
    e: message.expiresAt,
    o: message.origin,
    b: message.fromBridge ? 1 : 0,
    at: message.receivedAt,
  };
  return JSON.stringify(header);
}

export function messageFrom(header: string, payload: Buffer): { message: Message; id: string } {
  const h = JSON.parse(header) as MessageHeader;
  return {
    message: new Message(h.t, payload, h.q, h.r === 1, decodeProperties(h.p), h.e, h.o, h.b === 1, h.at),
    id: h.id,
  };
}

/** One binary value (a retained message, a will): a 4-byte header length, the header, the payload. */
export function packMessage(message: Message, id: string): Buffer {
  const header = Buffer.from(messageHeader(message, id));
  const out = Buffer.allocUnsafe(4 + header.length + message.payload.length);
  out.writeUInt32BE(header.length, 0);
  header.copy(out, 4);
  message.payload.copy(out, 4 + header.length);
  return out;
}

export function unpackMessage(buf: Buffer): { message: Message; id: string } {
  const length = buf.readUInt32BE(0);
  return messageFrom(buf.toString('utf8', 4, 4 + length), buf.subarray(4 + length));
}

/** What any node needs to take over a persistent session whose node died: no messages. */
export interface SessionRecord {
  clientId: string;
  protocolVersion: number;
  expiryInterval: number;
  expiresAt: number;
  username: string | undefined;
  isBridge: boolean;
  subscriptions: StoredSubscription[];
}

export function sessionRecord(session: Session, protocolVersion: number): SessionRecord {
  return {
    clientId: session.clientId,
    protocolVersion,
    expiryInterval: session.expiryInterval,
    expiresAt: session.expiresAt,
    username: session.username,
    isBridge: session.isBridge,
    subscriptions: [...session.subscriptions.values()].map((s) => ({
      filter: s.filter,
      matchFilter: s.matchFilter,
      group: s.group,
      qos: s.qos,
      noLocal: s.noLocal,
      retainAsPublished: s.retainAsPublished,
      retainHandling: s.retainHandling,
      subscriptionId: s.subscriptionId,
    })),
  };
}

interface SnapshotDelivery {
  h: string;
  /** Payload, base64. */
  p: string;
  q: QoS;
  r: boolean;
  s: number[] | undefined;
  id: number;
  rel: boolean;
  sent: boolean;
}

/** A whole session handed from one node to another: the record plus its deliveries. */
export interface SessionSnapshot extends SessionRecord {
  deliveries: SnapshotDelivery[];
  inboundQos2: number[];
}

export function snapshotSession(
  session: Session,
  protocolVersion: number,
  idOf: (message: Message) => string,
): string {
  const deliveries: SnapshotDelivery[] = [];
  const add = (out: Outgoing) =>
    deliveries.push({
      h: messageHeader(out.message, idOf(out.message)),
      p: out.message.payload.toString('base64'),
      q: out.qos,
      r: out.retain,
      s: out.subscriptionIds,
      id: out.packetId,
      rel: out.released,
      sent: out.sent,
    });
  for (const out of session.inflight.values()) add(out);
  for (const out of session.queued) add(out);
  const snapshot: SessionSnapshot = {
    ...sessionRecord(session, protocolVersion),
    deliveries,
    inboundQos2: [...session.inboundQos2],
  };
  return JSON.stringify(snapshot);
}

export function parseSnapshot(json: string): {
  snapshot: SessionSnapshot;
  outgoing: Array<{ out: Outgoing; id: string }>;
} {
  const snapshot = JSON.parse(json) as SessionSnapshot;
  const outgoing = snapshot.deliveries.map((d) => {
    const { message, id } = messageFrom(d.h, Buffer.from(d.p, 'base64'));
    const out = new Outgoing(message, d.q, d.r, d.s, d.id);
    out.released = d.rel;
    out.sent = d.sent;
    return { out, id };
  });
  return { snapshot, outgoing };
}
