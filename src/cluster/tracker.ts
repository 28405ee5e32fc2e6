import type { Message } from '../broker/message.js';
import type { Outgoing, Session } from '../broker/session.js';

/** Where a message is kept in Redis until every delivery of it to a persistent session is over. */
interface Held {
  stream: string | undefined;
  entryId: string | undefined;
  /** Deliveries to persistent sessions not yet acknowledged, dropped or handed on. */
  pending: number;
}

/**
 * Counts, per message, the QoS 1/2 deliveries to persistent sessions that are still open, so
 * the stream entry that keeps the message in Redis (the node's inbox, or its log for messages
 * published here) is deleted only once no session on this node needs it any more. If the node
 * dies first, whoever adopts its sessions replays the entries that are left.
 */
export class DeliveryTracker {
  private readonly held = new Map<Message, Held>();
  private readonly counted = new WeakSet<Outgoing>();

  constructor(private readonly release: (stream: string, entryId: string) => void) {}

  /** A message read from a stream entry is about to be routed. */
  begin(message: Message, stream: string, entryId: string): void {
    this.held.set(message, { stream, entryId, pending: 0 });
  }

  /** After routing a message from begin(): releases its entry if no persistent session took it. */
  routed(message: Message): void {
    const h = this.held.get(message);
    if (h !== undefined && h.pending === 0) this.settle(message, h);
  }

  /**
   * True when persistent sessions here hold the message and no stream keeps it yet: the caller
   * then writes it to `stream` and reports the entry with logged().
   */
  needsLog(message: Message, stream: string): boolean {
    const h = this.held.get(message);
    if (h === undefined || h.stream !== undefined) return false;
    h.stream = stream;
    return true;
  }

  /** The entry needsLog() asked for exists; released at once if its deliveries are already over. */
  logged(message: Message, stream: string, entryId: string): void {
    const h = this.held.get(message);
    if (h === undefined) this.release(stream, entryId);
    else h.entryId = entryId;
  }

  open(session: Session, out: Outgoing): void {
    if (session.expiryInterval === 0 || out.qos === 0 || this.counted.has(out)) return;
    this.counted.add(out);
    const h = this.held.get(out.message);
    if (h === undefined) this.held.set(out.message, { stream: undefined, entryId: undefined, pending: 1 });
    else h.pending++;
  }

  close(out: Outgoing): void {
    if (!this.counted.delete(out)) return;
    const h = this.held.get(out.message);
    if (h !== undefined && --h.pending === 0) this.settle(out.message, h);
  }

  closeSession(session: Session): void {
    for (const out of session.inflight.values()) this.close(out);
    for (const out of session.queued) this.close(out);
  }

  private settle(message: Message, h: Held): void {
    this.held.delete(message);
    if (h.stream !== undefined && h.entryId !== undefined) this.release(h.stream, h.entryId);
  }
}
