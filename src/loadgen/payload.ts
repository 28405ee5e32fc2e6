/**
 * The bench payload: a 20-byte header that lets a subscriber check order and measure latency,
 * then filler up to the requested size. Big-endian:
 *
 *   0  magic 'MQXB'   4  publisher id (u32)   8  sequence number (u32)   12  send time (f64, ms epoch)
 *
 * A publisher encodes one PUBLISH packet and patches these fields into a copy per message, so the
 * payload never goes through the encoder again.
 */
export const PAYLOAD_HEADER_SIZE = 20;
const MAGIC = 0x4d515842;

export interface PayloadStamp {
  publisher: number;
  seq: number;
  sentAt: number;
}

/** A payload of `size` bytes with an empty stamp; the filler is printable so captures stay readable. */
export function blankPayload(size: number): Buffer {
  if (!Number.isInteger(size) || size < PAYLOAD_HEADER_SIZE) {
    throw new RangeError(`a bench payload needs at least ${PAYLOAD_HEADER_SIZE} bytes, got ${size}`);
  }
  const payload = Buffer.alloc(size, 0x2e);
  payload.writeUInt32BE(MAGIC, 0);
  return payload;
}

/** Writes the stamp into the payload that starts at `offset` of `buf` (a whole packet, typically). */
export function stampPayload(
  buf: Buffer,
  offset: number,
  publisher: number,
  seq: number,
  sentAt: number,
): void {
  buf.writeUInt32BE(MAGIC, offset);
  buf.writeUInt32BE(publisher >>> 0, offset + 4);
  buf.writeUInt32BE(seq >>> 0, offset + 8);
  buf.writeDoubleBE(sentAt, offset + 12);
}

/**
 * The stamp of a received payload, or undefined when it is not a bench payload. Written into
 * `into` when given, so that a subscriber reading a million a second makes no object for each.
 */
export function readStamp(payload: Buffer, into?: PayloadStamp): PayloadStamp | undefined {
  if (payload.length < PAYLOAD_HEADER_SIZE || payload.readUInt32BE(0) !== MAGIC) return undefined;
  const stamp = into ?? { publisher: 0, seq: 0, sentAt: 0 };
  stamp.publisher = payload.readUInt32BE(4);
  stamp.seq = payload.readUInt32BE(8);
  stamp.sentAt = payload.readDoubleBE(12);
  return stamp;
}
