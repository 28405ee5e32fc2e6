import type { Broker } from '../../src/broker/broker.js';
import { type BrokerConfig, defaultBrokerConfig } from '../../src/config/broker-config.js';
import { startServer } from '../../src/server.js';

export interface InProcessBroker {
  broker: Broker;
  port: number;
  stop(): Promise<void>;
}

/**
 * A broker in the test process on a free loopback port: fast to start, and its state can be
 * inspected. Logs are silent unless MQX_TEST_LOG=1.
 */
export async function startBroker(overrides: Partial<BrokerConfig> = {}): Promise<InProcessBroker> {
  const config: BrokerConfig = {
    ...defaultBrokerConfig(),
    listeners: [{ port: 0, host: '127.0.0.1', protocol: 'mqtt', maxConnections: 0 }],
    sysInterval: 0,
    ...overrides,
  };
  if (process.env.MQX_TEST_LOG !== '1') config.log = { ...config.log, destinations: [], verbose: false };
  const broker = await startServer(config);
  return { broker, port: broker.ports[0]!, stop: () => broker.stop() };
}
