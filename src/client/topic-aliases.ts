import type { PublishPacket } from '../protocol/types.js';

/**
 * Outbound topic aliases (MQTT 5.0, 3.3.2.3.4). The first `maximum` distinct topics published on a
 * connection each get an alias: their first PUBLISH carries the topic and the alias, every later
 * one only the alias and an empty topic name, which saves the topic's bytes on each repeat. The
 * broker's CONNACK Topic Alias Maximum bounds the count [MQTT-3.3.2-9], and aliases last for one
 * network connection [MQTT-3.3.2-7]: reset() on every CONNACK.
 */
export class OutboundAliases {
  private readonly aliases = new Map<string, number>();
  private maximum = 0;

  reset(maximum: number): void {
    this.aliases.clear();
    this.maximum = maximum;
  }

  /** The PUBLISH to write for `packet`: `packet` itself when no alias applies. Never modifies it. */
  apply(packet: PublishPacket): PublishPacket {
    if (this.maximum === 0) return packet;
    const known = this.aliases.get(packet.topic);
    if (known !== undefined) {
      return { ...packet, topic: '', properties: { ...packet.properties, topicAlias: known } };
    }
    if (this.aliases.size >= this.maximum) return packet;
    const alias = this.aliases.size + 1;
    this.aliases.set(packet.topic, alias);
    return { ...packet, properties: { ...packet.properties, topicAlias: alias } };
  }
}
