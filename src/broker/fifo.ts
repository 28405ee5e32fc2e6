/**
 * A first-in first-out queue whose shift() is O(1): a session with a long backlog takes one
 * message per acknowledgement, and Array.prototype.shift / splice(0, n) would move the whole
 * backlog every time. The consumed head is dropped once it outweighs the rest.
 */
export class Fifo<T> implements Iterable<T> {
  /** Allocated at the first push: most sessions never queue anything. */
  private items: T[] | undefined;
  private head = 0;

  get length(): number {
    return this.items === undefined ? 0 : this.items.length - this.head;
  }

  push(item: T): void {
    if (this.items === undefined) this.items = [item];
    else this.items.push(item);
  }

  shift(): T | undefined {
    const items = this.items;
    if (items === undefined || this.head === items.length) return undefined;
    const item = items[this.head++];
    if (this.head >= 1024 && this.head * 2 >= items.length) {
      this.items = items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  clear(): void {
    this.items = undefined;
    this.head = 0;
  }

  *[Symbol.iterator](): Iterator<T> {
    const items = this.items;
    if (items === undefined) return;
    for (let i = this.head; i < items.length; i++) yield items[i]!;
  }
}
