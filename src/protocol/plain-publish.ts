import { writeString, writeU16 } from './fields.js';
import { MAX_VARINT, varintSize, writeVarint } from './varint.js';

/*
 * A PUBLISH with no properties (any 3.1/3.1.1 one; in 5.0, one with an empty property list),
 * header and payload written whole where the caller has room. For a run of deliveries encoded in
 * one loop (a retained replay, sendRetainedRun in broker/retained-run.ts): no packet object and no header of
 * its own per message, and few calls, which is what a replay costs while its code is still cold.
 */

/**
 * ASCII topics and payloads up to this size are copied byte by byte: TurboFan takes milliseconds
 * to compile a TypedArray set() or a latin1Write (2-5 ms for a two-line function, Node 20), and a
 * replay is compiled while it runs, on the broker's core.
 */
const SHORT_COPY = 64;

/** The topic's stringSize (fields.ts) and the rest: the whole packet's size, or -1 if too large. */
export function plainPublishSize(
  topicSize: number,
  payloadLength: number,
  withPacketId: boolean,
  v5: boolean,
): number {
  const remaining = topicSize + (withPacketId ? 2 : 0) + (v5 ? 1 : 0) + payloadLength;
  return remaining > MAX_VARINT ? -1 : 1 + varintSize(remaining) + remaining;
}

/**
 * Writes the packet plainPublishSize measured at `at` and returns the position after it.
 * `firstByte` carries type, DUP, QoS and retain; `packetId` is written when QoS is above 0.
 */
export function writePlainPublish(
  buf: Buffer,
  at: number,
  firstByte: number,
  topic: string,
  topicSize: number,
  packetId: number,
  v5: boolean,
  payload: Buffer,
): number {
  const withPacketId = (firstByte & 0x06) !== 0;
  buf[at] = firstByte;
  let pos = writeVarint(buf, at + 1, topicSize + (withPacketId ? 2 : 0) + (v5 ? 1 : 0) + payload.length);
  const topicLength = topicSize - 2;
  if (topicLength === topic.length && topicLength <= SHORT_COPY) {
    pos = writeU16(buf, pos, topicLength);
    for (let i = 0; i < topicLength; i++) buf[pos + i] = topic.charCodeAt(i);
    pos += topicLength;
  } else {
    pos = writeString(buf, pos, topic, topicSize);
  }
  if (withPacketId) pos = writeU16(buf, pos, packetId);
  if (v5) buf[pos++] = 0;
  const n = payload.length;
  if (n > SHORT_COPY) buf.set(payload, pos);
  else for (let i = 0; i < n; i++) buf[pos + i] = payload[i]!;
  return pos + n;
}
