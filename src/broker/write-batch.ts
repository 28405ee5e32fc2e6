import type { Duplex } from 'node:stream';

/**
 * Gathers the packets one connection queued during an event-loop turn into a single socket
 * write. In Node each `socket.write` costs a Writable request and its garbage, far more than
 * copying a small packet, so a turn's packets are copied once into a region of a shared slab and
 * written together. A region is reused only when the socket took the bytes at once (nothing left
 * in `writableLength`); otherwise the socket keeps it and later turns move on in the slab.
 * Turns larger than COALESCE_LIMIT keep their buffers as they are (large payloads are not copied)
 * and go out corked, as one writev.
 */
const SLAB_SIZE = 256 * 1024;
const COALESCE_LIMIT = 64 * 1024;

let slab = Buffer.allocUnsafeSlow(SLAB_SIZE);
let slabUsed = 0;

export function writeBatch(socket: Duplex, buffers: Buffer[], totalBytes: number): void {
  const n = buffers.length;
  if (n === 1) {
    socket.write(buffers[0]!);
    return;
  }
  if (totalBytes <= COALESCE_LIMIT) {
    if (SLAB_SIZE - slabUsed < totalBytes) {
      slab = Buffer.allocUnsafeSlow(SLAB_SIZE);
      slabUsed = 0;
    }
    const region = slab.subarray(slabUsed, slabUsed + totalBytes);
    let at = 0;
    for (let i = 0; i < n; i++) at += buffers[i]!.copy(region, at);
    socket.write(region);
    if (socket.writableLength > 0) slabUsed += totalBytes;
    return;
  }
  socket.cork();
  for (let i = 0; i < n; i++) socket.write(buffers[i]!);
  socket.uncork();
}
