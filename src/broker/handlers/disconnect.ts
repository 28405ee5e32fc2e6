import { ProtocolError } from '../../protocol/errors.js';
import { ReasonCode } from '../../protocol/reason-codes.js';
import type { DisconnectPacket } from '../../protocol/types.js';
import type { Connection } from '../connection.js';

export function handleDisconnect(conn: Connection, packet: DisconnectPacket): void {
  const session = conn.session!;
  const expiry = packet.properties?.sessionExpiryInterval;
  if (expiry !== undefined) {
    if (session.expiryInterval === 0 && expiry !== 0) {
      throw new ProtocolError(
        'session expiry set on DISCONNECT after CONNECT had none',
        ReasonCode.ProtocolError,
        'MQTT-3.14.2-2',
      );
    }
    session.expiryInterval = expiry;
  }
  // 0x04 asks the server to publish the will anyway; any other DISCONNECT discards it [MQTT-3.14.4-3].
  if (packet.reasonCode !== ReasonCode.DisconnectWithWillMessage) conn.will = undefined;
  conn.disconnectedCleanly = true;
  // What the client sent before its DISCONNECT is delivered, even to congested sessions.
  conn.handleParked(true);
  conn.broker.store.commit();
  conn.close('disconnected');
}
