import type { Duplex } from 'node:stream';

/**
 * Gathers the packets one connection queued during an event-loop turn into as few socket writes
 * as possible. In Node each `socket.write` costs a Writable request and its garbage, far more
 * than copying a small packet, so runs of small buffers are copied once into regions of a shared
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

/** Copies buffers[from..to) (totalling `bytes`) into one slab region and writes it. */
function writeRun(socket: Duplex, buffers: Buffer[], from: number, to: number, bytes: number): void {
  if (to - from === 1) {
    socket.write(buffers[from]!);
    return;
  }
  if (SLAB_SIZE - slabUsed < bytes) {
    slab = Buffer.allocUnsafeSlow(SLAB_SIZE);
    slabUsed = 0;
  }
  const region = slab.subarray(slabUsed, slabUsed + bytes);
  slabUsed += bytes;
  let at = 0;
  for (let i = from; i < to; i++) at += buffers[i]!.copy(region, at);
  socket.write(region);
}

export function writeBatch(socket: Duplex, buffers: Buffer[], totalBytes: number): void {
  const n = buffers.length;
  if (n === 1) {
    socket.write(buffers[0]!);
    return;
  }
  const slabAtStart = slab;
  const usedAtStart = slabUsed;
  const corked = totalBytes > REGION_LIMIT;
  if (corked) socket.cork();
  let from = 0;
  let runBytes = 0;
  for (let i = 0; i < n; i++) {
    const size = buffers[i]!.length;
    if (size >= LARGE) {
      if (i > from) writeRun(socket, buffers, from, i, runBytes);
      socket.write(buffers[i]!);
      from = i + 1;
      runBytes = 0;
    } else if (runBytes + size > REGION_LIMIT) {
      writeRun(socket, buffers, from, i, runBytes);
      from = i;
      runBytes = size;
    } else {
      runBytes += size;
    }
  }
  if (from < n) writeRun(socket, buffers, from, n, runBytes);
  if (corked) socket.uncork();
  if (socket.writableLength === 0) slabUsed = slab === slabAtStart ? usedAtStart : 0;
}
