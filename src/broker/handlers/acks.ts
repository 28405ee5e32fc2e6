import { ProtocolError } from '../../protocol/errors.js';
import { ReasonCode } from '../../protocol/reason-codes.js';
import type { AckPacket } from '../../protocol/types.js';
import type { Connection } from '../connection.js';
import type { Outgoing } from '../session.js';
import { inboundReceiveMaximum } from './publish.js';

/**
 * The delivery an acknowledgement answers, or undefined when its packet id is unknown: not in
 * flight, or in flight but never written, so the client cannot have seen it.
 */
function sentDelivery(conn: Connection, packetId: number): Outgoing | undefined {
  const out = conn.session!.inflight.get(packetId);
  return out?.sent ? out : undefined;
}

/**
 * An acknowledgement for a known packet id that its flow does not expect at this point: a
 * protocol violation, so the connection closes (5.0 [MQTT-4.13.1-1], 3.1.1 [MQTT-4.8.0-1]).
 */
function wrongState(conn: Connection, type: AckPacket['type'], packetId: number, why: string): ProtocolError {
  return new ProtocolError(
    `${type.toUpperCase()} for packet id ${packetId}, ${why}`,
    ReasonCode.ProtocolError,
    conn.version === 5 ? 'MQTT-4.13.1-1' : 'MQTT-4.8.0-1',
  );
}

/**
 * PUBACK / PUBCOMP from the client: the outgoing QoS 1 / QoS 2 delivery is done [MQTT-4.3.2,
 * 4.3.3]. One for an unknown packet id is ignored: it may answer a delivery completed before a
 * reconnect.
 */
export function handleOutgoingComplete(conn: Connection, type: 'puback' | 'pubcomp', packetId: number): void {
  const out = sentDelivery(conn, packetId);
  if (out === undefined) return;
  if (type === 'puback') {
    if (out.qos !== 1) throw wrongState(conn, type, packetId, 'a QoS 2 PUBLISH');
  } else if (out.qos !== 2) {
    throw wrongState(conn, type, packetId, 'a QoS 1 PUBLISH');
  } else if (!out.released) {
    throw wrongState(conn, type, packetId, 'before PUBREC');
  }
  conn.broker.completeOutgoing(conn.session!, packetId);
}

/** PUBREC from the client: release the QoS 2 delivery with PUBREL, or drop it on a 5.0 failure code. */
export function handlePubrec(conn: Connection, packetId: number, reasonCode: number): void {
  const session = conn.session!;
  const out = sentDelivery(conn, packetId);
  if (out === undefined) {
    // The flow's other side may still hold the id: PUBREL lets it finish (5.0 4.3.3, 0x92).
    conn.send(
      conn.version === 5
        ? { type: 'pubrel', packetId, reasonCode: ReasonCode.PacketIdentifierNotFound }
        : { type: 'pubrel', packetId },
    );
    return;
  }
  if (out.qos !== 2) throw wrongState(conn, 'pubrec', packetId, 'a QoS 1 PUBLISH');
  if (reasonCode >= 0x80) {
    conn.broker.completeOutgoing(session, packetId);
    return;
  }
  out.released = true;
  conn.broker.store.released(session, out);
  conn.sendPubrel(packetId);
}

/** PUBREL from the client: the inbound QoS 2 message is released; its id may be reused [MQTT-4.3.3-11]. */
export function handlePubrel(conn: Connection, packetId: number): void {
  const session = conn.session!;
  const known = session.inboundQos2.delete(packetId);
  if (known) conn.broker.store.inboundQos2(session, packetId, false);
  const inbound = conn.inboundWindow;
  if (known && inbound !== undefined && inbound.pending > 0) inbound.pending--;
  // A PUBREL shows the client is releasing: the grace for being over the Receive Maximum restarts.
  if (inbound !== undefined && inbound.overSince !== 0)
    inbound.overSince =
      inbound.pending > inboundReceiveMaximum(conn.broker.config.maxInflightMessages) ? Date.now() : 0;
  if (conn.version === 5 && !known) {
    conn.send({ type: 'pubcomp', packetId, reasonCode: ReasonCode.PacketIdentifierNotFound });
  } else {
    conn.sendAck('pubcomp', packetId);
  }
}
