/**
 * The bench's one clock: milliseconds since the Unix epoch with sub-microsecond resolution. It is
 * monotonic within a process and, because it starts from the epoch, close enough across processes
 * on one machine for a publisher in one `mqx bench` and a subscriber in another.
 */
const origin = performance.timeOrigin;

export function nowMs(): number {
  return origin + performance.now();
}
