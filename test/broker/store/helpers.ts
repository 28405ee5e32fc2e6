import type { BrokerConfig } from '../../../src/config/broker-config.js';
import { defaultBrokerConfig } from '../../../src/config/broker-config.js';
import type { PublishPacket, QoS } from '../../../src/protocol/types.js';
import { type InProcessBroker, startBroker } from '../../helpers/broker.js';
import { RawClient } from '../../helpers/raw-client.js';

/** An in-process broker keeping its state in `dir` (graceful stop; crashes are tested with kill -9 elsewhere). */
export function startPersistent(
  dir: string,
  overrides: Partial<BrokerConfig> = {},
): Promise<InProcessBroker> {
  return startBroker({
    persistence: { ...defaultBrokerConfig().persistence, enabled: true, location: dir },
    ...overrides,
  });
}

export function publish(
  topic: string,
  payload: string,
  qos: QoS,
  packetId?: number,
  extra: Partial<PublishPacket> = {},
): PublishPacket {
  return {
    type: 'publish',
    topic,
    payload: Buffer.from(payload),
    qos,
    retain: false,
    dup: false,
    packetId,
    ...extra,
  };
}

/** Connects a persistent 3.1.1 session (clean false). */
export function persistentClient(port: number, clientId: string): Promise<RawClient> {
  return RawClient.connect(port, { clientId, clean: false });
}

export async function subscribe(client: RawClient, topicFilter: string, qos: QoS): Promise<void> {
  client.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topicFilter, qos }] });
  await client.next('suback');
}
