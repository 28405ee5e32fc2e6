import type { Duplex } from 'node:stream';

/**
 * What a connection queues for its next write: bytes, or a number that stands for a few bytes,
 * so that a packet id or an acknowledgement costs no Buffer of its own (an allocation per
 * message, and per subscriber, on the QoS 1/2 path). A number up to 0xFFFF is a packet id (two
 * bytes, big-endian); a larger one is a four-byte acknowledgement (see ackEntry).
 */
export type WriteEntry = Buffer | number;

/**
 * PUBACK, PUBREC, PUBREL or PUBCOMP with reason Success and no properties, in every version: its
 * first byte and packet id packed into one small integer (under 2^23, so V8 keeps it unboxed).
 */
export function ackEntry(firstByte: number, packetId: number): number {
  return firstByte * 0x10000 + packetId;
}

export function entryLength(entry: WriteEntry): number {
  return typeof entry === 'number' ? (entry > 0xffff ? 4 : 2) : entry.length;
}

function copyEntry(entry: WriteEntry, target: Buffer, at: number): number {
  if (typeof entry !== 'number') return entry.copy(target, at);
  if (entry > 0xffff) {
    target[at] = entry >>> 16;
    target[at + 1] = 2;
    target[at + 2] = (entry >>> 8) & 0xff;
    target[at + 3] = entry & 0xff;
    return 4;
  }
  target[at] = entry >>> 8;
  target[at + 1] = entry & 0xff;
  return 2;
}

/**
 * Gathers the packets one connection queued during an event-loop turn into as few socket writes
 * as possible. In Node each `socket.write` costs a Writable request and its garbage, far more
 * than copying a small packet, so runs of small entries are copied once into regions of a shared
 * slab (at most REGION_LIMIT each) and written together; buffers of LARGE bytes or more (big
 * payloads) are written as they are, never copied. A turn with several writes goes out corked,
 * as one writev. Slab space is reused only when the socket took every byte at once (nothing left
 * in `writableLength`); otherwise the socket keeps its regions and later turns move on.
 */
const SLAB_SIZE = 256 * 1024;
const REGION_LIMIT = 64 * 1024;
const LARGE = 16 * 1024;

let slab = Buffer.allocUnsafeSlow(SLAB_SIZE);
let slabUsed = 0;

/** Copies entries[from..to) (totalling `bytes`) into one slab region and writes it. */
function writeRun(socket: Duplex, entries: WriteEntry[], from: number, to: number, bytes: number): void {
  const single = entries[from]!;
  if (to - from === 1 && typeof single !== 'number') {
    socket.write(single);
    return;
  }
  if (SLAB_SIZE - slabUsed < bytes) {
    slab = Buffer.allocUnsafeSlow(SLAB_SIZE);
    slabUsed = 0;
  }
  const region = slab.subarray(slabUsed, slabUsed + bytes);
  slabUsed += bytes;
  let at = 0;
  for (let i = from; i < to; i++) at += copyEntry(entries[i]!, region, at);
  socket.write(region);
}

/** Writes entries[0..count), which total `totalBytes`. */
export function writeBatch(socket: Duplex, entries: WriteEntry[], count: number, totalBytes: number): void {
  const slabAtStart = slab;
  const usedAtStart = slabUsed;
  const corked = totalBytes > REGION_LIMIT;
  if (corked) socket.cork();
  let from = 0;
  let runBytes = 0;
  for (let i = 0; i < count; i++) {
    const entry = entries[i]!;
    const size = entryLength(entry);
    if (size >= LARGE) {
      if (i > from) writeRun(socket, entries, from, i, runBytes);
      socket.write(entry as Buffer);
      from = i + 1;
      runBytes = 0;
    } else if (runBytes + size > REGION_LIMIT) {
      writeRun(socket, entries, from, i, runBytes);
      from = i;
      runBytes = size;
    } else {
      runBytes += size;
    }
  }
  if (from < count) writeRun(socket, entries, from, count, runBytes);
  if (corked) socket.uncork();
  if (socket.writableLength === 0) slabUsed = slab === slabAtStart ? usedAtStart : 0;
}
