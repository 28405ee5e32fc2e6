/**
 * `mqx record`: every message of the subscriptions, as it arrives, one line each (format.ts).
 * The time is taken when the client hands the message over, before the write, so a slow disk
 * does not shift the spacing a replay reproduces.
 */
import type { Client } from '../client/client.js';
import { RejectedError } from '../errors.js';
import { reasonName } from '../protocol/reason-codes.js';
import type { PublishPacket, SubscriptionRequest } from '../protocol/types.js';
import { encodeLine, fromPacket } from './format.js';

export interface RecordTotals {
  messages: number;
  retained: number;
  bytes: number;
  /** The first and last receive times (ms since the epoch), when anything came. */
  first?: number;
  last?: number;
}

export interface Recording {
  totals: RecordTotals;
  /** Resolves once `limit` messages are written (never without a limit). */
  reachedLimit: Promise<void>;
  stop(): void;
}

/**
 * Subscribes on a connected client and writes each message with `write`. With MQTT 5 the
 * subscriptions keep the retain flag as published, so a live retained message is recorded as one.
 */
export async function startRecording(
  client: Client,
  requests: SubscriptionRequest[],
  write: (line: string) => void,
  limit?: number,
): Promise<Recording> {
  const totals: RecordTotals = { messages: 0, retained: 0, bytes: 0 };
  let reached: () => void = () => undefined;
  const reachedLimit = new Promise<void>((resolve) => (reached = resolve));
  const onMessage = (packet: PublishPacket) => {
    if (limit !== undefined && totals.messages >= limit) return;
    const now = Date.now();
    totals.messages++;
    if (packet.retain) totals.retained++;
    totals.bytes += packet.payload.length;
    totals.first ??= now;
    totals.last = now;
    write(`${encodeLine(fromPacket(packet, now))}\n`);
    if (limit !== undefined && totals.messages >= limit) reached();
  };
  client.on('message', onMessage);
  const v5 = client.protocolVersion === 5;
  const codes = await client.subscribe(requests.map((r) => (v5 ? { ...r, retainAsPublished: true } : r)));
  const refused = codes.findIndex((c) => c >= 0x80);
  if (refused !== -1) {
    client.off('message', onMessage);
    throw new RejectedError(
      `subscription to '${requests[refused]!.topicFilter}' refused: ${reasonName(codes[refused]!)}`,
      codes[refused]!,
    );
  }
  return { totals, reachedLimit, stop: () => client.off('message', onMessage) };
}

export function formatRecordTotals(t: RecordTotals, file: string): string {
  const span = t.first !== undefined && t.last !== undefined ? ((t.last - t.first) / 1000).toFixed(1) : '0.0';
  return `${t.messages} messages (${t.retained} retained, ${t.bytes} payload bytes) over ${span} s recorded to ${file}`;
}
