import { ReasonCode } from '../../protocol/reason-codes.js';
import type { AckPacket } from '../../protocol/types.js';
import type { Connection } from '../connection.js';
import { inboundReceiveMaximum } from './publish.js';

/** PUBACK / PUBCOMP from the client: the outgoing QoS 1 / QoS 2 delivery is done [MQTT-4.3.2, 4.3.3]. */
export function handleOutgoingComplete(conn: Connection, packet: AckPacket): void {
  const session = conn.session!;
  const out = session.inflight.get(packet.packetId);
  if (out === undefined) return;
  const expected = out.qos === 1 ? 'puback' : 'pubcomp';
  if (packet.type !== expected || (out.qos === 2 && !out.released)) return;
  conn.broker.completeOutgoing(session, packet.packetId);
}

/** PUBREC from the client: release the QoS 2 delivery with PUBREL, or drop it on a 5.0 failure code. */
export function handlePubrec(conn: Connection, packet: AckPacket): void {
  const session = conn.session!;
  const out = session.inflight.get(packet.packetId);
  if (out === undefined || out.qos !== 2) {
    if (conn.version === 5)
      conn.send({
        type: 'pubrel',
        packetId: packet.packetId,
        reasonCode: ReasonCode.PacketIdentifierNotFound,
      });
    else conn.send({ type: 'pubrel', packetId: packet.packetId });
    return;
  }
  if ((packet.reasonCode ?? 0) >= 0x80) {
    conn.broker.completeOutgoing(session, packet.packetId);
    return;
  }
  out.released = true;
  conn.broker.store.released(session, out);
  conn.sendPubrel(packet.packetId);
}

/** PUBREL from the client: the inbound QoS 2 message is released; its id may be reused [MQTT-4.3.3-11]. */
export function handlePubrel(conn: Connection, packet: AckPacket): void {
  const session = conn.session!;
  const known = session.inboundQos2.delete(packet.packetId);
  if (known) conn.broker.store.inboundQos2(session, packet.packetId, false);
  if (known && conn.inboundPending > 0) conn.inboundPending--;
  // A PUBREL shows the client is releasing: the grace for being over the Receive Maximum restarts.
  if (conn.overReceiveMaximumSince !== 0)
    conn.overReceiveMaximumSince =
      conn.inboundPending > inboundReceiveMaximum(conn.broker.config.maxInflightMessages) ? Date.now() : 0;
  if (conn.version === 5 && !known) {
    conn.send({
      type: 'pubcomp',
      packetId: packet.packetId,
      reasonCode: ReasonCode.PacketIdentifierNotFound,
    });
  } else {
    conn.send({ type: 'pubcomp', packetId: packet.packetId });
  }
}
