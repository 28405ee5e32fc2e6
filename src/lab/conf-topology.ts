/**
 * The topology check for the `connection` blocks of one broker's configuration: this broker, and
 * each remote named by its first address. With one block per remote nothing can echo (the bridge
 * flag and No Local see to that); two blocks to one remote whose rules carry the same topics make
 * a cycle through the remote, or deliver it twice.
 */
import type { BrokerConfig } from '../config/broker-config.js';
import { checkTopology, type Finding } from './graph.js';

const SELF = 'this broker';

export function bridgeFindings(config: BrokerConfig): Finding[] {
  const bridges = config.bridges.map((b) => {
    const a = b.addresses[0]!;
    return { name: b.name, from: SELF, to: `${a.host}:${a.port}`, rules: b.topics };
  });
  return checkTopology({
    brokers: [SELF, ...new Set(bridges.map((b) => b.to))],
    bridges,
    publishers: [],
    subscribers: [],
  });
}
