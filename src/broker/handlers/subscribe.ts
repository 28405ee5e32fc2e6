import { ProtocolError } from '../../protocol/errors.js';
import { ReasonCode } from '../../protocol/reason-codes.js';
import type { SubscribePacket, UnsubscribePacket } from '../../protocol/types.js';
import { validateTopicFilter } from '../../topics/validate.js';
import type { Connection } from '../connection.js';
import { subscribeFilterLine, unsubscribeFilterLine } from '../packet-log.js';
import { Session, type Subscription } from '../session.js';
import { checkControlCharacters } from './control-characters.js';

/** 3.1.1 knows one failure code in SUBACK; 5.0 says why [MQTT-3.9.3-2]. */
function failure(conn: Connection, code: number): number {
  return conn.version === 5 ? code : 0x80;
}

export function handleSubscribe(conn: Connection, packet: SubscribePacket): void {
  const broker = conn.broker;
  const session = conn.session!;
  const access = broker.accessFor(conn);
  const subscriptionId = packet.properties?.subscriptionIdentifiers?.[0] ?? 0;
  const codes: number[] = [];
  const retainedToSend: Subscription[] = [];
  for (const req of packet.subscriptions) checkControlCharacters(req.topicFilter, 'filter');
  for (const req of packet.subscriptions) {
    if (broker.log.packets) broker.log.debug(subscribeFilterLine(req.topicFilter, req.qos));
    let filter = req.topicFilter;
    if (validateTopicFilter(filter) !== undefined) {
      codes.push(failure(conn, ReasonCode.TopicFilterInvalid));
      continue;
    }
    const { group, filter: matchFilterRaw } = broker.sharedFilter(filter);
    if (group !== '' && req.noLocal) {
      throw new ProtocolError('No Local on a shared subscription', ReasonCode.ProtocolError, 'MQTT-3.8.3-4');
    }
    const mount = conn.peer.mountPoint;
    const matchFilter = mount !== undefined ? mount + matchFilterRaw : matchFilterRaw;
    if (mount !== undefined) filter = group !== '' ? `$share/${group}/${matchFilter}` : matchFilter;
    if (!access.canSubscribe(conn.clientId, conn.username, matchFilter)) {
      if (conn.version === 3) {
        // 3.1's SUBACK has no failure code: the client is granted its QoS and nothing is stored,
        // which is what it would receive anyway (README, "Where mqx differs from mosquitto").
        codes.push(req.qos);
        continue;
      }
      codes.push(failure(conn, ReasonCode.NotAuthorized));
      continue;
    }
    // max_qos: granted QoS is at most the broker's maximum [MQTT-3.9.3-3].
    const qos = Math.min(req.qos, broker.config.maxQos) as typeof req.qos;
    const sub = Session.subscriptionFrom(
      session,
      { ...req, topicFilter: filter, qos },
      matchFilter,
      group,
      subscriptionId,
    );
    const isNew = broker.subscribe(session, sub);
    codes.push(qos);
    broker.log.subscribe(`${conn.clientId} ${qos} ${req.topicFilter}`);
    // Shared subscriptions get no retained messages [MQTT-3.8.4-?]; Retain Handling says the rest.
    if (group === '' && (sub.retainHandling === 0 || (sub.retainHandling === 1 && isNew)))
      retainedToSend.push(sub);
  }
  conn.send({ type: 'suback', packetId: packet.packetId, reasonCodes: codes });
  for (const sub of retainedToSend) broker.sendRetained(session, sub);
}

export function handleUnsubscribe(conn: Connection, packet: UnsubscribePacket): void {
  const broker = conn.broker;
  const codes: number[] = [];
  for (const raw of packet.topicFilters) checkControlCharacters(raw, 'filter');
  for (const raw of packet.topicFilters) {
    if (broker.log.packets) broker.log.debug(unsubscribeFilterLine(raw));
    const mount = conn.peer.mountPoint;
    let filter = raw;
    if (mount !== undefined) {
      const { group, filter: inner } = broker.sharedFilter(raw);
      filter = group !== '' ? `$share/${group}/${mount}${inner}` : mount + inner;
    }
    const removed = broker.unsubscribe(conn.session!, filter);
    codes.push(removed ? ReasonCode.Success : ReasonCode.NoSubscriptionExisted);
    broker.log.unsubscribe(`${conn.clientId} ${raw}`);
  }
  conn.send({
    type: 'unsuback',
    packetId: packet.packetId,
    reasonCodes: conn.version === 5 ? codes : undefined,
  });
}
