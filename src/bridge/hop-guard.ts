/**
 * Multi-hop loop prevention. The bridge flag and No Local only keep a message from going back over
 * the link it came in on; in a cycle of three or more brokers (or with two paths to one broker) it
 * still comes round again. So a message that leaves an mqx broker over a bridge link carries two
 * MQTT 5 user properties: `mqx-id`, the id of the broker it entered the bridged network at and a
 * sequence number there, and `mqx-hops`, the bridges it crossed. Each broker remembers the ids it
 * has seen (bounded: ID_LIMIT entries for ID_TTL_MS); a message arriving over a bridge with an id
 * it has seen, or after more than MAX_HOPS bridges, is a copy, acknowledged and not delivered.
 *
 * Only MQTT 5 carries properties: over 3.1.1 links the id is lost. A message in 3.1.1 has nothing
 * else that tells a copy from a new message with the same topic and payload (two publishers of the
 * course's challenge send the same readings), so 3.1.1 links are not covered; nor are cycles
 * through brokers that drop user properties or are not mqx (they forward the id, but do not check it).
 */
import { randomBytes } from 'node:crypto';
import type { BridgeHooks } from '../broker/bridge-hooks.js';
import type { Broker } from '../broker/broker.js';
import { Message } from '../broker/message.js';

export const ID_PROPERTY = 'mqx-id';
export const HOPS_PROPERTY = 'mqx-hops';
/** A CONNECT user property: the client is an mqx bridge on an MQTT 5 link (3.1.1 has the bridge flag). */
export const BRIDGE_PROPERTY = 'mqx-bridge';
export const MAX_HOPS = 16;
/** A copy comes round in milliseconds; one kept in a queue during an outage may take longer. */
export const ID_TTL_MS = 10 * 60_000;
/** About 100 bytes each. */
export const ID_LIMIT = 100_000;

type UserProperties = ReadonlyArray<[string, string]> | undefined;

function property(userProperties: UserProperties, key: string): string | undefined {
  return userProperties?.find(([k]) => k === key)?.[1];
}

export class HopGuard implements BridgeHooks {
  readonly id = randomBytes(4).toString('hex');
  private sequence = 0;
  /** Id → epoch ms it is forgotten. */
  private readonly seen = new Map<string, number>();
  /** The ids in the order they came, a ring of ID_LIMIT: the next one in replaces the oldest. */
  private readonly order: Array<{ id: string; until: number }> = [];
  private next = 0;
  /** The stamped form of each message, made once however many bridges it goes to. */
  private readonly stamped = new WeakMap<Message, Message>();
  /** Copies refused, for the lab view and tests. */
  copies = 0;

  constructor(private readonly now: () => number = Date.now) {}

  /** The message as it leaves over a bridge link: with its id (a new one if it has none) and hop count. */
  leaving(message: Message): Message {
    const known = this.stamped.get(message);
    if (known !== undefined) return known;
    const user = message.properties?.userProperties;
    let id = property(user, ID_PROPERTY);
    if (id === undefined) {
      id = `${this.id}:${(this.sequence++).toString(36)}`;
      this.remember(id);
    }
    const hops = Number(property(user, HOPS_PROPERTY) ?? 0) + 1;
    const others = (user ?? []).filter(([k]) => k !== ID_PROPERTY && k !== HOPS_PROPERTY);
    const out = new Message(
      message.topic,
      message.payload,
      message.qos,
      message.retain,
      {
        ...message.properties,
        userProperties: [...others, [ID_PROPERTY, id], [HOPS_PROPERTY, String(hops)]],
      },
      message.expiresAt,
      message.origin,
      message.fromBridge,
      message.receivedAt,
    );
    this.stamped.set(message, out);
    return out;
  }

  marked(userProperties: UserProperties): boolean {
    return property(userProperties, ID_PROPERTY) !== undefined;
  }

  isBridgeConnect(userProperties: UserProperties): boolean {
    return property(userProperties, BRIDGE_PROPERTY) !== undefined;
  }

  /** A message arrives over a bridge link: false when it is a copy of one this broker has had. */
  arriving(userProperties: UserProperties): boolean {
    const id = property(userProperties, ID_PROPERTY);
    if (id === undefined) return true;
    const until = this.seen.get(id);
    const hops = Number(property(userProperties, HOPS_PROPERTY) ?? 0);
    if ((until !== undefined && until > this.now()) || hops > MAX_HOPS) {
      this.copies++;
      return false;
    }
    this.remember(id);
    return true;
  }

  private remember(id: string): void {
    const until = this.now() + ID_TTL_MS;
    const oldest = this.order[this.next];
    // The same id may be in the ring twice (it came back after its TTL): only its latest entry counts.
    if (oldest !== undefined && this.seen.get(oldest.id) === oldest.until) this.seen.delete(oldest.id);
    this.order[this.next] = { id, until };
    this.next = (this.next + 1) % ID_LIMIT;
    this.seen.set(id, until);
  }
}

/** Gives a broker multi-hop loop prevention (once): every broker that bridged messages reach needs it. */
export function attachHopGuard(broker: Broker): BridgeHooks {
  broker.bridgeHooks ??= new HopGuard();
  return broker.bridgeHooks;
}
