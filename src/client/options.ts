import type { Packet, Properties, ProtocolVersion, Will } from '../protocol/types.js';
import type { DialOptions } from '../transport/dial.js';
import type { ClientSession } from './session.js';

export interface ReconnectOptions {
  /** First delay after a lost connection; doubles per failed attempt. */
  minDelayMs: number;
  /** Upper bound of the delay. */
  maxDelayMs: number;
  /** Give up (close with ConnectionError) after this many failed attempts in a row; unbounded when absent. */
  maxAttempts?: number;
}

/** Direction of a traced packet: 'in' from the broker, 'out' to it. */
export type TraceHook = (direction: 'in' | 'out', packet: Packet) => void;

/** Everything needed to connect a Client. Only `broker` is required. */
export interface ClientOptions {
  /** Where and how to dial (scheme, host, port, TLS files, WebSocket path). */
  broker: DialOptions;
  /** 3 = MQTT 3.1, 4 = 3.1.1 (default), 5 = 5.0. */
  protocolVersion?: ProtocolVersion;
  /** Generated (`mqx-PID-RANDOM`) when absent or empty. */
  clientId?: string;
  /** Clean session (3.1.x) / Clean Start (5.0); default true. */
  clean?: boolean;
  /** Seconds; 0 turns keep alive off. Default 60. */
  keepalive?: number;
  username?: string;
  password?: Buffer | string;
  will?: Will;
  /** MQTT 5.0 Session Expiry Interval in seconds. */
  sessionExpiry?: number;
  /** Further MQTT 5.0 CONNECT properties (user properties, receive maximum, topic alias maximum...). */
  properties?: Properties;
  /** Bound on reaching CONNACK, retries included; default 30 000 ms. Expiry → TimeoutError. */
  connectTimeoutMs?: number;
  /** Off (false) by default: a lost connection closes the client with ConnectionError. */
  reconnect?: ReconnectOptions | false;
  /** Our own cap on unacknowledged QoS 1/2 publishes; the broker's Receive Maximum lowers it. Default 65535. */
  maxInflight?: number;
  /** Publishes held while reconnecting before publish() rejects; default 10 000. */
  offlineQueueLimit?: number;
  /**
   * Acknowledge an inbound QoS 1/2 message only when the 'message' listener calls the `ack` it is
   * given (say, once the message is stored), not as soon as the listeners return. Acknowledgements
   * still leave in the order the messages came, so one never acknowledged holds back the rest.
   */
  manualAck?: boolean;
  /**
   * MQTT 5.0: publish repeated topics by topic alias, as many as the broker's Topic Alias Maximum
   * allows (see OutboundAliases). Off by default, as in mosquitto_pub and MQTT.js.
   */
  topicAliases?: boolean;
  /**
   * The session state to use, for a caller that replaces its Client and must not lose the flows
   * in flight (see ClientSession). Publishes this client has on the wire when it closes are then
   * neither rejected nor forgotten: the next Client with this session resends and settles them.
   */
  session?: ClientSession;
  /** Announce a bridge: bit 0x80 of the protocol level (mosquitto's try_private), 3.1/3.1.1 only. */
  bridge?: boolean;
  /** Called for every packet sent and received (the --debug trace). */
  trace?: TraceHook;
}
