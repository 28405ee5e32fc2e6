/**
 * Request/response over MQTT, as mosquitto_rr: subscribe to the response topic, publish the
 * request, wait for the answer. With MQTT 5 the request carries Response Topic and a fresh
 * Correlation Data, and only the response with that correlation counts; with 3.1/3.1.1 the pair of
 * topics is the whole protocol, so the first live message on the response topic is the answer
 * (a retained one is a stale answer to someone else's request and is skipped).
 */
import { randomBytes } from 'node:crypto';
import type { Client } from '../client/client.js';
import { RejectedError, TimeoutError } from '../errors.js';
import { nowNs, type ReceivedMessage } from '../output/message.js';
import { reasonName } from '../protocol/reason-codes.js';
import type { Properties, PublishPacket, QoS } from '../protocol/types.js';

export interface RequestOptions {
  requestTopic: string;
  responseTopic: string;
  payload: Buffer;
  qos: QoS;
  /** Requests to make, one after the other. */
  count: number;
  /** Per request, from sending it to its answer; unbounded when absent. */
  timeoutMs?: number;
  /** Further PUBLISH properties of the request (-D publish ...), MQTT 5 only. */
  properties?: Properties;
  onResponse(message: ReceivedMessage, roundTripMs: number): void;
}

function toReceived(packet: PublishPacket): ReceivedMessage {
  return {
    topic: packet.topic,
    payload: packet.payload,
    qos: packet.qos,
    retain: packet.retain,
    packetId: packet.packetId ?? 0,
    ...(packet.properties ? { properties: packet.properties } : {}),
    receivedNs: nowNs(),
  };
}

/** Runs the requests on a connected client; resolves with each round trip in milliseconds. */
export async function requestResponse(client: Client, options: RequestOptions): Promise<number[]> {
  const v5 = client.protocolVersion === 5;
  const [granted] = await client.subscribe([{ topicFilter: options.responseTopic, qos: options.qos }]);
  if (granted === undefined || granted >= 0x80)
    throw new RejectedError(
      `subscription to '${options.responseTopic}' refused: ${reasonName(granted ?? 0x80)}`,
      granted ?? 0x80,
    );
  const roundTrips: number[] = [];
  for (let i = 0; i < options.count; i++) {
    const correlation = v5 ? randomBytes(16) : undefined;
    const properties: Properties | undefined = v5
      ? { ...options.properties, responseTopic: options.responseTopic, correlationData: correlation! }
      : undefined;
    let listener: ((packet: PublishPacket) => void) | undefined;
    let timer: NodeJS.Timeout | undefined;
    const started = performance.now();
    const answer = new Promise<PublishPacket>((resolve, reject) => {
      listener = (packet) => {
        if (packet.topic !== options.responseTopic) return;
        const theirs = packet.properties?.correlationData;
        if (correlation ? !theirs?.equals(correlation) : packet.retain) return;
        resolve(packet);
      };
      client.on('message', listener);
      if (options.timeoutMs !== undefined)
        timer = setTimeout(
          () =>
            reject(
              new TimeoutError(
                `no response on '${options.responseTopic}' after ${options.timeoutMs! / 1000} s`,
              ),
            ),
          options.timeoutMs,
        );
    });
    // A timeout while the request's own PUBACK is awaited is reported by `await answer` below.
    answer.catch(() => undefined);
    try {
      await client.publish(options.requestTopic, options.payload, {
        qos: options.qos,
        ...(properties ? { properties } : {}),
      });
      const packet = await answer;
      const rtt = performance.now() - started;
      roundTrips.push(rtt);
      options.onResponse(toReceived(packet), rtt);
    } finally {
      clearTimeout(timer);
      client.off('message', listener!);
    }
  }
  return roundTrips;
}
