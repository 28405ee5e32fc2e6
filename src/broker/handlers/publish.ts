import { ProtocolError } from '../../protocol/errors.js';
import { ReasonCode } from '../../protocol/reason-codes.js';
import type { PublishPacket } from '../../protocol/types.js';
import { isBrokerOnlyTopic } from '../auth/acl.js';
import { type Connection, State } from '../connection.js';
import type { DropReason } from '../hooks.js';
import { Message } from '../message.js';
import { checkResponseTopic } from './connect.js';

/** Resolves the 5.0 topic alias of an inbound PUBLISH, recording new ones [MQTT-3.3.2-12]. */
function resolveTopic(conn: Connection, packet: PublishPacket): string {
  const alias = packet.properties?.topicAlias;
  if (conn.version < 5 || alias === undefined) return packet.topic;
  if (alias === 0 || alias > conn.broker.config.maxTopicAlias) {
    throw new ProtocolError(
      `topic alias ${alias} is outside 1..${conn.broker.config.maxTopicAlias}`,
      ReasonCode.TopicAliasInvalid,
      'MQTT-3.3.2-9',
    );
  }
  const aliases = conn.topicAliases.in;
  if (packet.topic !== '') {
    aliases.set(alias, packet.topic);
    return packet.topic;
  }
  const topic = aliases.get(alias);
  if (topic === undefined)
    throw new ProtocolError(`topic alias ${alias} was never set`, ReasonCode.ProtocolError, 'MQTT-3.3.4-?');
  return topic;
}

/**
 * How long a client may stay over the Receive Maximum mqx advertised, with QoS 2 PUBLISHes whose
 * PUBREL has not come, before it is disconnected with 0x93. Not at once: clients such as MQTT.js
 * ignore the maximum and send a burst before reading the PUBRECs, then release every one of them.
 */
export const RECEIVE_MAXIMUM_GRACE_MS = 2000;

/** The Receive Maximum mqx advertises (mosquitto: max_inflight_messages); 65535 when unlimited. */
export function inboundReceiveMaximum(maxInflightMessages: number): number {
  return maxInflightMessages === 0 ? 65535 : maxInflightMessages;
}

/** PUBACK or PUBREC; at `position` of the connection's pending writes when given (see writeAt). */
function ack(conn: Connection, packet: PublishPacket, reasonCode: number, position?: number): void {
  const type = packet.qos === 1 ? 'puback' : 'pubrec';
  if (conn.version !== 5 || reasonCode === 0) conn.sendAck(type, packet.packetId!, position);
  else conn.sendAt(position ?? conn.pendingWrites, { type, packetId: packet.packetId!, reasonCode });
}

/** Tells observers of a PUBLISH refused on arrival; its Message is made only for them. */
function refused(conn: Connection, packet: PublishPacket, topic: string, reason: DropReason): void {
  const hooks = conn.broker.hooks;
  if (hooks.on.messageDropped !== undefined)
    hooks.emit(
      'messageDropped',
      undefined,
      Message.fromPublish(packet, conn.clientId, conn.isBridge, topic),
      reason,
    );
}

export function handlePublish(conn: Connection, packet: PublishPacket): void {
  const broker = conn.broker;
  const config = broker.config;
  const session = conn.session!;
  const stats = broker.stats;
  stats.publishReceived++;
  stats.messagesReceived++;
  stats.publishReceivedByQos[packet.qos]!++;
  stats.publishBytesReceived += packet.payload.length;

  let topic = resolveTopic(conn, packet);
  checkResponseTopic(packet.properties?.responseTopic);
  if (conn.peer.mountPoint !== undefined) topic = conn.peer.mountPoint + topic;
  if (packet.qos > config.maxQos) {
    // 5.0: DISCONNECT with 0x9B [MQTT-3.2.2-11]; 3.1.1 has no way to say why, so just close.
    conn.disconnectWith(
      ReasonCode.QoSNotSupported,
      `PUBLISH QoS ${packet.qos} over max_qos ${config.maxQos}`,
    );
    return;
  }
  if (packet.retain && !config.retainAvailable) {
    if (conn.version === 5) {
      conn.disconnectWith(ReasonCode.RetainNotSupported, 'retained PUBLISH while retain is not available');
      return;
    }
  }
  if (packet.qos === 2 && session.inboundQos2.has(packet.packetId!)) {
    // A resent QoS 2 PUBLISH we already own: acknowledge again, never deliver twice [MQTT-4.3.3-10].
    ack(conn, packet, 0);
    return;
  }

  if (config.messageSizeLimit > 0 && packet.payload.length > config.messageSizeLimit) {
    broker.log.notice(
      `Dropped too large PUBLISH from ${conn.clientId} on '${topic}' (${packet.payload.length} bytes).`,
    );
    stats.dropped++;
    stats.droppedBy.tooLarge++;
    refused(conn, packet, topic, 'too-large');
    // 0x95 is no PUBACK / PUBREC reason code (5.0 3.4.2.1); mosquitto sends it anyway.
    if (packet.qos > 0) ack(conn, packet, ReasonCode.QuotaExceeded);
    return;
  }

  const allowed =
    !isBrokerOnlyTopic(topic) && broker.accessFor(conn).canPublish(conn.clientId, conn.username, topic);
  if (!allowed) {
    if (broker.log.isEnabled('debug'))
      broker.log.debug(`Denied PUBLISH from ${conn.clientId} to '${topic}'.`);
    stats.droppedBy.notAuthorized++;
    refused(conn, packet, topic, 'not-authorized');
    // 3.1.1 has no way to refuse a PUBLISH: it is acknowledged and dropped, as mosquitto does.
    if (packet.qos > 0) ack(conn, packet, ReasonCode.NotAuthorized);
    return;
  }

  const user = packet.properties?.userProperties;
  const bridgeHooks = broker.bridgeHooks;
  const bridged = conn.isBridge || (bridgeHooks?.marked(user) ?? false);
  // A copy this broker already had (multi-hop loop prevention) is acknowledged as delivered: the
  // broker that sent it must not send it again.
  const copy = bridged && bridgeHooks !== undefined && !bridgeHooks.arriving(user);
  const message = copy ? undefined : Message.fromPublish(packet, conn.clientId, bridged, topic);
  if (message !== undefined && broker.hooks.on.messageAccepted !== undefined)
    broker.hooks.emit('messageAccepted', message, conn);
  broker.source = conn.flushingParked ? 'overflow' : conn;
  // The acknowledgement goes ahead of the copies this PUBLISH makes for its own sender.
  const ackAt = conn.pendingWrites;
  const delivered = message === undefined ? 1 : broker.publish(message);
  broker.source = undefined;
  if (packet.qos === 0) return;
  if (packet.qos === 2) {
    session.inboundQos2.add(packet.packetId!);
    broker.store.inboundQos2(session, packet.packetId!, true);
    conn.inboundWindow ??= { pending: 0, overSince: 0 };
    const inbound = conn.inboundWindow;
    if (++inbound.pending > inboundReceiveMaximum(config.maxInflightMessages) && inbound.overSince === 0)
      inbound.overSince = Date.now();
  }
  // A durable store commits this callback's writes before connections flush (store/sqlite.ts),
  // so the ack never reaches the client ahead of the stored message.
  const reasonCode = delivered === 0 ? ReasonCode.NoMatchingSubscribers : ReasonCode.Success;
  const durable = broker.cluster?.takeDurable();
  const before = acksWaiting.get(conn);
  if (durable === undefined && before === undefined) {
    ack(conn, packet, reasonCode, ackAt);
    return;
  }
  // A cluster acknowledges only what Redis holds, and acknowledgements keep the order of the
  // PUBLISH packets [MQTT-4.6.0-2], so each waits for the one before it.
  const tail = Promise.all([before, durable]).then(
    () => {
      if (acksWaiting.get(conn) === tail) acksWaiting.delete(conn);
      if (conn.state === State.Connected) ack(conn, packet, reasonCode);
    },
    (err: unknown) => {
      acksWaiting.delete(conn);
      broker.log.error(
        `Cluster: a message from ${conn.clientId} could not be stored in Redis: ${String(err)}`,
      );
      conn.close('cluster store failed');
    },
  );
  acksWaiting.set(conn, tail);
}

/** Per connection, the last acknowledgement waiting for the cluster. */
const acksWaiting = new WeakMap<Connection, Promise<void>>();
