/**
 * The one place a lab starts a broker from its BrokerConfig, in this process: the lab rewrites a
 * config's ports and bridge addresses in memory, and stops its brokers in order, which child
 * processes would make a matter of files and signals.
 */

import type { Broker } from '../broker/broker.js';
import type { BrokerConfig } from '../config/broker-config.js';
import { createServer } from '../server.js';

export async function startLabBroker(config: BrokerConfig): Promise<Broker> {
  const broker = createServer(config);
  try {
    await broker.start();
  } catch (err) {
    // Half started (a listener refused): what did open must not outlive the lab.
    await broker.stop().catch(() => undefined);
    throw err;
  }
  return broker;
}
