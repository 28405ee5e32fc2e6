/**
 * Packet identifiers for one session: 1..65535, shared by PUBLISH, SUBSCRIBE and UNSUBSCRIBE,
 * never reused while still waiting for an acknowledgement (MQTT 3.1.1 2.3.1, 5.0 2.2.1).
 */
export class PacketIds {
  private next = 1;
  private readonly used = new Set<number>();

  /**
   * `reserved` names ids that another record of the same session holds (the in-broker bridge:
   * its broker session's deliveries in flight, sent under the broker's ids): take() skips them.
   */
  constructor(private readonly reserved: (id: number) => boolean = () => false) {}

  get size(): number {
    return this.used.size;
  }

  has(id: number): boolean {
    return this.used.has(id);
  }

  /** The next free identifier, or undefined when all 65535 are in use. */
  take(): number | undefined {
    if (this.used.size >= 0xffff) return undefined;
    for (let i = 0; i < 0xffff; i++) {
      const id = this.next;
      this.next = id === 0xffff ? 1 : id + 1;
      if (!this.used.has(id) && !this.reserved(id)) {
        this.used.add(id);
        return id;
      }
    }
    return undefined;
  }

  /** Marks an identifier the caller chose as in use; false when it already is. */
  claim(id: number): boolean {
    if (this.used.has(id)) return false;
    this.used.add(id);
    return true;
  }

  release(id: number): void {
    this.used.delete(id);
  }
}
