/**
 * The client's half of an MQTT session (MQTT 4.1): the QoS 1/2 publishes it sent that are not
 * completely acknowledged, under their packet ids, and the inbound QoS 1/2 messages whose
 * acknowledgement is still due. A Client makes its own; Clients given one ClientSession in turn
 * (options.session) each resume where the one before stopped, under the same packet ids: the
 * PUBLISH again with DUP [MQTT-4.4.0-1], PUBREL for flows past PUBREC, and an inbound QoS 2
 * message the broker sends again is still recognised. A bridge relies on this when it replaces
 * its Client (another address, a refused reconnect): under new ids a broker would take QoS 2
 * messages in flight for new ones and deliver them twice.
 */
import type { AckPacket, Properties, PublishPacket } from '../protocol/types.js';
import { PacketIds } from './packet-ids.js';

/** How the broker answered a publish; QoS 0 resolves with reasonCode 0 once the bytes left. */
export interface PublishResult {
  reasonCode: number;
  properties?: Properties;
}

export interface Deferred<T> {
  resolve(value: T): void;
  reject(err: Error): void;
}

/** A QoS 1/2 publish on the wire, not yet completely acknowledged. */
export interface OutgoingFlow extends Deferred<PublishResult> {
  packet: PublishPacket;
  /** 'ack' waits for PUBACK/PUBREC, 'comp' for PUBCOMP after our PUBREL. */
  waiting: 'ack' | 'comp';
  /** PublishOptions.onPubrec. */
  onPubrec: (() => void) | undefined;
}

/** An inbound QoS 1/2 message whose PUBACK or PUBREC is due. */
interface InboundAck {
  packetId: number;
  qos: 1 | 2;
  /** The application acknowledged it; it leaves once every earlier one has [MQTT-4.6.0-2, -3]. */
  ready: boolean;
}

const nothingToAcknowledge = () => undefined;

export class ClientSession {
  readonly ids: PacketIds;
  /** By packet id, in the order they were first sent (resends keep that order [MQTT-4.6.0-1]). */
  readonly outgoing = new Map<number, OutgoingFlow>();
  /** Inbound QoS 2 by packet id: 'held' until acknowledged, then 'received' (PUBREC sent) until PUBREL. */
  private readonly inboundQos2 = new Map<number, 'held' | 'received'>();
  /** Due acknowledgements in the order their PUBLISH packets came. */
  private acks: InboundAck[] = [];
  private sendAck: ((packet: AckPacket) => void) | undefined;

  /** `reserved`: see PacketIds; ids it names are never taken for this session's own packets. */
  constructor(options: { reserved?: (id: number) => boolean } = {}) {
    this.ids = new PacketIds(options.reserved);
  }

  /**
   * A connection was accepted; acknowledgements go through `sendAck` until it is lost. Without a
   * kept session the broker has forgotten every inbound flow. With one, it sends its
   * unacknowledged PUBLISH packets again: a QoS 1 message still unacknowledged comes again and is
   * acknowledged then (its id may not mean the same message any more), while a QoS 2 message is
   * acknowledged on this connection once the application is done with it.
   */
  connected(sessionPresent: boolean, sendAck: (packet: AckPacket) => void): void {
    if (sessionPresent) {
      this.acks = this.acks.filter((a) => a.qos === 2);
    } else {
      this.inboundQos2.clear();
      this.acks = [];
    }
    this.sendAck = sendAck;
    this.flushAcks();
  }

  /** The connection that `sendAck` wrote to is gone. */
  disconnected(sendAck: (packet: AckPacket) => void): void {
    if (this.sendAck === sendAck) this.sendAck = undefined;
  }

  /**
   * An inbound PUBLISH: returns the function that acknowledges it (doing nothing for QoS 0), or
   * undefined for a QoS 2 message already delivered, which must not be delivered twice
   * [MQTT-4.3.3-9]; one already past PUBREC gets its PUBREC again.
   */
  received(packet: PublishPacket): (() => void) | undefined {
    if (packet.qos === 0) return nothingToAcknowledge;
    const packetId = packet.packetId!;
    if (packet.qos === 2) {
      const state = this.inboundQos2.get(packetId);
      if (state === 'received') this.sendAck?.({ type: 'pubrec', packetId });
      if (state !== undefined) return undefined;
      this.inboundQos2.set(packetId, 'held');
    }
    const entry: InboundAck = { packetId, qos: packet.qos, ready: false };
    this.acks.push(entry);
    return () => {
      if (entry.ready) return;
      entry.ready = true;
      this.flushAcks();
    };
  }

  /** Inbound QoS 2 messages acknowledged with PUBREC whose PUBREL has not come yet. */
  get awaitingRelease(): number {
    let n = 0;
    for (const state of this.inboundQos2.values()) if (state === 'received') n++;
    return n;
  }

  /** PUBREL: the inbound QoS 2 flow is over and its id free again. False for an unknown id. */
  released(packetId: number): boolean {
    return this.inboundQos2.delete(packetId);
  }

  private flushAcks(): void {
    const send = this.sendAck;
    if (send === undefined) return;
    let done = 0;
    for (; done < this.acks.length && this.acks[done]!.ready; done++) {
      const { packetId, qos } = this.acks[done]!;
      if (qos === 1) {
        send({ type: 'puback', packetId });
      } else if (this.inboundQos2.get(packetId) === 'held') {
        this.inboundQos2.set(packetId, 'received');
        send({ type: 'pubrec', packetId });
      }
    }
    this.acks.splice(0, done);
  }
}
