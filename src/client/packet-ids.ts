/**
 * Packet identifiers for one connection: 1..65535, shared by PUBLISH, SUBSCRIBE and UNSUBSCRIBE,
 * never reused while still waiting for an acknowledgement (MQTT 3.1.1 2.3.1, 5.0 2.2.1).
 */
export class PacketIds {
  private next = 1;
  private readonly used = new Set<number>();

  get size(): number {
    return this.used.size;
  }

  /** The next free identifier, or undefined when all 65535 are in use. */
  take(): number | undefined {
    if (this.used.size >= 0xffff) return undefined;
    while (this.used.has(this.next)) this.next = this.next === 0xffff ? 1 : this.next + 1;
    const id = this.next;
    this.used.add(id);
    this.next = id === 0xffff ? 1 : id + 1;
    return id;
  }

  release(id: number): void {
    this.used.delete(id);
  }
}
