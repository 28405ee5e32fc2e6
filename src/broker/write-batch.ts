import type { Duplex } from 'node:stream';
import { encodePublishAfterPacketId, measurePublishStart, writePublishStartAt } from '../protocol/encoder.js';
import type { ProtocolVersion, PublishPacket } from '../protocol/types.js';

/**
 * What a connection queues for its next write: bytes, or a number that stands for a few bytes,
 * so that a packet id, an acknowledgement or a PUBLISH header costs no Buffer of its own (an
 * allocation per message, and per subscriber, on the QoS 1/2 path). A number up to 0xFFFF is a
 * packet id (two bytes, big-endian); up to 2^23 a four-byte acknowledgement (see ackEntry); from
 * STAGED on, bytes staged for this turn (see encodeSharedHeader).
 */
export type WriteEntry = Buffer | number;

/**
 * PUBACK, PUBREC, PUBREL or PUBCOMP with reason Success and no properties, in every version: its
 * first byte and packet id packed into one small integer (under 2^23, so V8 keeps it unboxed).
 */
export function ackEntry(firstByte: number, packetId: number): number {
  return firstByte * 0x10000 + packetId;
}

/**
 * Small encoded bytes (the PUBLISH headers of a turn's messages) written into staging buffers and
 * queued as numbers: STAGED + buffer * 2^27 + offset * 256 + size, under 2^30, so still a small
 * integer. The buffers are reused from the start once every connection has written its turn
 * (releaseStaged, from the connections' flush at the end of each turn); bytes that do not fit go
 * in Buffers of their own. A Buffer per header was about 40 of the 460 bytes a QoS 0 message
 * allocated (fan-in, benchmarks/allocations.ts). One turn can read far more than one buffer
 * holds: libuv reads a socket up to 32 times per poll, so ten publishers can bring 20 MB, and
 * with a single buffer 70% of fan-in's headers went in Buffers of their own.
 */
const STAGED = 2 ** 24;
const STAGED_MAX_SIZE = 255;
const STAGING_SIZE = 512 * 1024;
const STAGING_BUFFERS = 7;
const BUFFER_BITS = 27;
const BUFFER_SHIFT = 2 ** BUFFER_BITS;
const stagings: Buffer[] = [Buffer.allocUnsafeSlow(STAGING_SIZE)];
let staging = stagings[0]!;
let stagingIndex = 0;
let stagedUsed = 0;

/**
 * Room for `size` bytes in this turn's staging: where they go (buffer * 2^27 + offset * 256), or
 * -1 (too many, or no room left). Takes the next buffer, made at first need and kept, when this
 * one is full; the bytes go at the end of `staging`.
 */
function reserveStaged(size: number): number {
  if (size > STAGED_MAX_SIZE) return -1;
  if (STAGING_SIZE - stagedUsed < size) {
    if (stagingIndex === STAGING_BUFFERS - 1) return -1;
    stagingIndex++;
    if (stagings.length === stagingIndex) stagings.push(Buffer.allocUnsafeSlow(STAGING_SIZE));
    staging = stagings[stagingIndex]!;
    stagedUsed = 0;
  }
  const at = stagedUsed;
  stagedUsed += size;
  return stagingIndex * BUFFER_SHIFT + at * 256;
}

/** A PUBLISH header in the two parts around its packet identifier. */
export interface HeaderParts {
  /** The whole header at QoS 0; at QoS 1 and 2, what comes before the packet id. */
  header: WriteEntry;
  /** 5.0 at QoS 1 and 2: the properties that follow the packet id. */
  afterPacketId: Buffer | undefined;
}

/**
 * Encodes the header that deliveries of one message share, the part before the packet id staged
 * when it fits. Each bundle of mqx (scripts/bundle-cli.js) has a copy of this module, with its own
 * staging buffer: the connection hands this function to Message.header, so that the bytes are
 * staged where the connection's writes copy them from, whichever bundle made the message.
 */
export function encodeSharedHeader(packet: PublishPacket, version: ProtocolVersion, into: HeaderParts): void {
  const size = measurePublishStart(packet, version);
  const place = reserveStaged(size);
  if (place >= 0) {
    writePublishStartAt(staging, stagedUsed - size, packet, version);
    into.header = STAGED + place + size;
  } else {
    const own = Buffer.allocUnsafe(size);
    writePublishStartAt(own, 0, packet, version);
    into.header = own;
  }
  into.afterPacketId = encodePublishAfterPacketId(packet, version);
}

/** Every entry made so far has been written: the staging buffer starts over. */
export function releaseStaged(): void {
  stagingIndex = 0;
  staging = stagings[0]!;
  stagedUsed = 0;
}

/** A copy of an entry's bytes, in a Buffer of its own. */
export function entryBytes(entry: WriteEntry): Buffer {
  const bytes = Buffer.allocUnsafe(entryLength(entry));
  copyEntry(entry, bytes, 0);
  return bytes;
}

export function entryLength(entry: WriteEntry): number {
  if (typeof entry !== 'number') return entry.length;
  if (entry >= STAGED) return entry & 0xff;
  return entry > 0xffff ? 4 : 2;
}

function copyEntry(entry: WriteEntry, target: Buffer, at: number): number {
  if (typeof entry !== 'number') return entry.copy(target, at);
  if (entry >= STAGED) {
    const size = entry & 0xff;
    const place = entry - STAGED;
    const from = (place & (BUFFER_SHIFT - 1)) >>> 8;
    const bytes = stagings[place >>> BUFFER_BITS]!;
    // A loop, not Buffer.copy: copying from an offset makes a Uint8Array view per call.
    for (let i = 0; i < size; i++) target[at + i] = bytes[from + i]!;
    return size;
  }
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
