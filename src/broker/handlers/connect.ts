import { ProtocolError } from '../../protocol/errors.js';
import { connackCodeForV4, ReasonCode } from '../../protocol/reason-codes.js';
import type { ConnectPacket, Properties } from '../../protocol/types.js';
import { hasControlCharacter } from '../../protocol/utf8.js';
import { validateTopicName } from '../../topics/validate.js';
import type { AuthResult } from '../access.js';
import { refusalReasonCode } from '../auth/index.js';
import { NEVER_EXPIRES } from '../broker.js';
import { type Connection, NO_CLIENT_LIMITS, State } from '../connection.js';
import { inboundReceiveMaximum } from './publish.js';

const PROTOCOL_LABEL = { 3: 'p1', 4: 'p2', 5: 'p5' } as const;

/** Sends CONNACK with a refusal in the client's protocol's terms, then closes [MQTT-3.2.2-5]. */
function refuse(conn: Connection, reasonCode: number, why: string): void {
  const v5 = conn.version === 5;
  conn.send({
    type: 'connack',
    sessionPresent: false,
    reasonCode: v5 ? reasonCode : connackCodeForV4(reasonCode),
    properties: v5 ? conn.reasonString(why) : undefined,
  });
  conn.close(why);
}

/** A Response Topic is a topic name: no wildcards [MQTT-3.3.2-14]. */
export function checkResponseTopic(topic: string | undefined): void {
  if (topic === undefined) return;
  const problem = validateTopicName(topic);
  if (problem)
    throw new ProtocolError(`response topic: ${problem}`, ReasonCode.ProtocolError, 'MQTT-3.3.2-14');
}

/**
 * Client ids, user names and will topics with control characters, which 3.1.1 1.5.3 and 5.0
 * 1.5.4 say SHOULD NOT be sent, are refused as mosquitto refuses them. mosquitto closes without a
 * CONNACK; mqx says why where the protocol has a code for it (docs/reason-codes.md).
 */
function refusesControlCharacters(conn: Connection, packet: ConnectPacket): boolean {
  if (hasControlCharacter(packet.clientId)) {
    refuse(conn, ReasonCode.ClientIdentifierNotValid, 'client id contains a control character');
    return true;
  }
  if (packet.username !== undefined && hasControlCharacter(packet.username)) {
    refuse(conn, ReasonCode.BadUserNameOrPassword, 'user name contains a control character');
    return true;
  }
  if (packet.will !== undefined && hasControlCharacter(packet.will.topic)) {
    const why = 'will topic contains a control character';
    // 3.1 and 3.1.1 have no return code for a bad topic: close without CONNACK, as mosquitto does.
    if (conn.version !== 5) throw new ProtocolError(why, ReasonCode.TopicNameInvalid);
    refuse(conn, ReasonCode.TopicNameInvalid, why);
    return true;
  }
  return false;
}

export function handleConnect(conn: Connection, packet: ConnectPacket): void {
  if (conn.state !== State.AwaitingConnect) {
    throw new ProtocolError('second CONNECT on one connection', ReasonCode.ProtocolError, 'MQTT-3.1.0-2');
  }
  const broker = conn.broker;
  const config = broker.config;
  conn.isBridge =
    packet.bridge || (broker.bridgeHooks?.isBridgeConnect(packet.properties?.userProperties) ?? false);
  const props = packet.properties;
  if (
    props !== undefined &&
    (props.receiveMaximum !== undefined ||
      props.maximumPacketSize !== undefined ||
      props.topicAliasMaximum !== undefined)
  ) {
    conn.limits = {
      receiveMaximum: props.receiveMaximum ?? NO_CLIENT_LIMITS.receiveMaximum,
      maximumPacketSize: props.maximumPacketSize ?? NO_CLIENT_LIMITS.maximumPacketSize,
      topicAliasMaximum: props.topicAliasMaximum ?? NO_CLIENT_LIMITS.topicAliasMaximum,
    };
  }

  if (props?.authenticationMethod !== undefined) {
    // Enhanced authentication needs a method the broker knows; mqx implements none yet.
    refuse(
      conn,
      ReasonCode.BadAuthenticationMethod,
      `unsupported authentication method '${props.authenticationMethod}'`,
    );
    return;
  }

  if (refusesControlCharacters(conn, packet)) return;

  let clientId = packet.clientId;
  let assigned = false;
  if (clientId === '') {
    const mayAssign = packet.protocolVersion === 5 || (packet.protocolVersion === 4 && packet.clean);
    if (!mayAssign || !config.allowZeroLengthClientId) {
      // [MQTT-3.1.3-8] 3.1.1 without clean session, and 3.1 always, need an id of their own.
      refuse(conn, ReasonCode.ClientIdentifierNotValid, 'empty client id not allowed');
      return;
    }
    clientId = broker.assignClientId();
    assigned = packet.protocolVersion === 5;
  }

  let keepalive = packet.keepalive;
  let serverKeepAlive: number | undefined;
  if (config.maxKeepalive < 65535 && (keepalive > config.maxKeepalive || keepalive === 0)) {
    if (packet.protocolVersion === 5) {
      serverKeepAlive = config.maxKeepalive;
      keepalive = config.maxKeepalive;
    } else if (keepalive > config.maxKeepalive) {
      // mosquitto refuses 3.1.1 keep alives above max_keepalive rather than silently shortening them.
      refuse(
        conn,
        ReasonCode.ClientIdentifierNotValid,
        `keepalive ${keepalive} over max_keepalive ${config.maxKeepalive}`,
      );
      return;
    }
  }

  if (packet.will) {
    const problem = validateTopicName(packet.will.topic);
    if (problem)
      throw new ProtocolError(`will topic: ${problem}`, ReasonCode.TopicNameInvalid, 'MQTT-3.1.3-11');
    checkResponseTopic(packet.will.properties?.responseTopic);
    if (packet.will.qos > config.maxQos) {
      refuse(conn, ReasonCode.QoSNotSupported, `will QoS ${packet.will.qos} over max_qos ${config.maxQos}`);
      return;
    }
    if (packet.will.retain && !config.retainAvailable && packet.protocolVersion === 5) {
      // CONNACK told the client retain is unavailable; a retained will cannot be honoured [MQTT-3.2.2-13].
      refuse(conn, ReasonCode.RetainNotSupported, 'retained will while retain is not available');
      return;
    }
  }

  conn.state = State.Authenticating;
  const username = packet.username ?? conn.certificateUsername;
  const authenticated = (result: AuthResult) => {
    if (conn.state === State.Closed) return;
    if (!result.ok) {
      broker.log.notice(
        `Client ${clientId} from ${conn.remote.address} refused: ${result.reason === 'bad-credentials' ? 'bad username or password' : 'not authorised'}.`,
      );
      refuse(conn, refusalReasonCode(result.reason), 'authentication failed');
      return;
    }
    if (packet.will && !broker.accessFor(conn).canPublish(clientId, username, packet.will.topic)) {
      refuse(conn, ReasonCode.NotAuthorized, `will topic '${packet.will.topic}' not authorised`);
      return;
    }
    const proceed = () => {
      if (conn.state === State.Closed) return;
      accept(conn, packet, clientId, username, keepalive, serverKeepAlive, assigned);
      conn.releaseHeld();
    };
    // In a cluster the session may live on another node: it comes here before CONNACK.
    if (broker.cluster) void broker.cluster.claim(clientId, packet.clean).then(proceed);
    else proceed();
  };
  const failed = (err: unknown) => {
    broker.log.error(
      `Authentication of ${clientId} failed: ${err instanceof Error ? err.message : String(err)}`,
    );
    refuse(conn, ReasonCode.UnspecifiedError, 'authentication error');
  };
  const byAccess = () => {
    let result: AuthResult | Promise<AuthResult>;
    try {
      result = broker.accessFor(conn).authenticate({ clientId, username, password: packet.password });
    } catch (err) {
      failed(err);
      return;
    }
    // Anonymous clients and clients without a password file are answered at once: no promise turn
    // per connect (12% of a connect storm's CPU in a profile).
    if (result instanceof Promise) result.then(authenticated, failed);
    else authenticated(result);
  };
  if (broker.hooks.authenticators.length === 0) {
    byAccess();
    return;
  }
  // Authenticators registered by extensions decide first; with no opinion the password file does.
  broker.hooks
    .authenticate({
      clientId,
      username,
      password: packet.password,
      address: conn.remote.address,
      listenerIndex: conn.peer.listenerIndex,
    })
    .then((verdict) => {
      if (verdict === undefined) byAccess();
      else authenticated(verdict === 'allow' ? { ok: true } : { ok: false, reason: 'not-authorized' });
    });
}

function accept(
  conn: Connection,
  packet: ConnectPacket,
  clientId: string,
  username: string | undefined,
  keepalive: number,
  serverKeepAlive: number | undefined,
  assigned: boolean,
): void {
  const broker = conn.broker;
  const config = broker.config;
  const props = packet.properties;
  conn.keepalive = keepalive;
  conn.will = packet.will;
  if (packet.will) broker.cluster?.willSet(clientId, packet.will, conn);

  let session = broker.sessions.get(clientId);
  const old = session?.outlet;
  if (old !== undefined && old !== conn) {
    // Session takeover [MQTT-3.1.4-3]: the older connection is closed, 5.0 clients are told why.
    const previous = old as Connection;
    if (broker.log.connectionMessages)
      broker.log.notice(`Client ${clientId} already connected, closing old connection.`);
    session!.outlet = undefined;
    broker.store.commit();
    previous.disconnectWith(ReasonCode.SessionTakenOver, 'session taken over');
    if (broker.hooks.on.sessionTakenOver !== undefined)
      broker.hooks.emit('sessionTakenOver', session!, previous, conn);
  }
  const cleanStart = packet.clean;
  // A delayed will goes now if the old session ends here, and never if it goes on [MQTT-3.1.3-9].
  if (cleanStart) broker.releaseWill(clientId);
  else broker.cancelWill(clientId);

  if (session && cleanStart) {
    broker.destroySession(session);
    session = undefined;
  }
  const sessionPresent = session !== undefined;
  session ??= broker.newSession(clientId);

  if (packet.protocolVersion === 5) {
    session.expiryInterval = props?.sessionExpiryInterval ?? 0;
  } else {
    session.expiryInterval = packet.clean ? 0 : NEVER_EXPIRES;
  }
  session.expiresAt = 0;
  session.username = username;
  session.aclReads = undefined;
  session.listenerIndex = conn.peer.listenerIndex;
  session.isBridge = conn.isBridge;
  broker.store.sessionOpened(session, packet.protocolVersion);
  conn.session = session;
  conn.state = State.Connected;

  let connackProps: Properties | undefined;
  if (packet.protocolVersion === 5) {
    connackProps = {};
    if (config.maxPacketSize > 0) connackProps.maximumPacketSize = config.maxPacketSize;
    if (!config.retainAvailable) connackProps.retainAvailable = 0;
    if (config.maxQos < 2) connackProps.maximumQoS = config.maxQos;
    connackProps.topicAliasMaximum = config.maxTopicAlias;
    const receiveMaximum = inboundReceiveMaximum(config.maxInflightMessages);
    if (receiveMaximum < 65535) connackProps.receiveMaximum = receiveMaximum;
    if (assigned) connackProps.assignedClientIdentifier = clientId;
    if (serverKeepAlive !== undefined) connackProps.serverKeepAlive = serverKeepAlive;
    // A topic root the client may build response topics under (MQTT 5.0 4.10), on request only.
    if (props?.requestResponseInformation === 1)
      connackProps.responseInformation = `mqx/response/${clientId}`;
  }
  // Logged before the CONNACK goes, so that -v reads in mosquitto's order.
  if (broker.log.connectionMessages) {
    const who = username !== undefined ? `, u'${username}'` : '';
    broker.log.notice(
      `New client connected from ${conn.remote.address}:${conn.remote.port} as ${clientId} (${PROTOCOL_LABEL[packet.protocolVersion]}, c${packet.clean ? 1 : 0}, k${keepalive}${who}).`,
    );
  }
  conn.send({ type: 'connack', sessionPresent, reasonCode: 0, properties: connackProps });
  session.outlet = conn;
  if (broker.hooks.on.sessionConnected !== undefined)
    broker.hooks.emit('sessionConnected', session, conn, sessionPresent);
  if (sessionPresent) broker.resume(session);
}
