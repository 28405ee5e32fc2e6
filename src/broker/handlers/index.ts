import { ProtocolError } from '../../protocol/errors.js';
import { ReasonCode } from '../../protocol/reason-codes.js';
import { type Packet, PacketType } from '../../protocol/types.js';
import type { Connection } from '../connection.js';
import { handleOutgoingComplete, handlePubrec, handlePubrel } from './acks.js';
import { handleConnect } from './connect.js';
import { handleDisconnect } from './disconnect.js';
import { handlePublish } from './publish.js';
import { handleSubscribe, handleUnsubscribe } from './subscribe.js';

/** Sends one decoded packet to the handler of its type. Throws ProtocolError for what a client may not send. */
export function dispatch(conn: Connection, packet: Packet): void {
  switch (packet.type) {
    case 'connect':
      handleConnect(conn, packet);
      return;
    case 'publish':
      if (conn.parking) conn.park(packet);
      else handlePublish(conn, packet);
      return;
    case 'puback':
    case 'pubcomp':
      handleOutgoingComplete(conn, packet.type, packet.packetId);
      return;
    case 'pubrec':
      handlePubrec(conn, packet.packetId, packet.reasonCode ?? 0);
      return;
    case 'pubrel':
      handlePubrel(conn, packet.packetId);
      return;
    case 'subscribe':
      handleSubscribe(conn, packet);
      return;
    case 'unsubscribe':
      handleUnsubscribe(conn, packet);
      return;
    case 'pingreq':
      conn.send({ type: 'pingresp' });
      return;
    case 'disconnect':
      handleDisconnect(conn, packet);
      return;
    case 'auth':
      // No enhanced authentication method is offered, so no AUTH exchange can have started [MQTT-4.12.0-1].
      throw new ProtocolError(
        'AUTH without an authentication method',
        ReasonCode.ProtocolError,
        'MQTT-3.15.1-1',
      );
    default:
      throw new ProtocolError(
        `a client may not send ${packet.type.toUpperCase()}`,
        ReasonCode.ProtocolError,
        'MQTT-2.1.2',
      );
  }
}

/** A plain acknowledgement of a connected client, which came without a packet object (PacketSink.onAck). */
export function dispatchAck(conn: Connection, type: number, packetId: number): void {
  switch (type) {
    case PacketType.PUBACK:
      handleOutgoingComplete(conn, 'puback', packetId);
      return;
    case PacketType.PUBCOMP:
      handleOutgoingComplete(conn, 'pubcomp', packetId);
      return;
    case PacketType.PUBREC:
      handlePubrec(conn, packetId, 0);
      return;
    default:
      handlePubrel(conn, packetId);
  }
}
