import type { Broker } from '../broker/broker.js';
import type { ClusterHooks } from '../broker/cluster-hooks.js';
import type { ClusterSettings } from '../config/broker-config.js';
import { ClusterNode } from './node.js';

/** Joins the broker to its cluster before its listeners open; loaded only with --cluster. */
export async function joinCluster(broker: Broker, settings: ClusterSettings): Promise<ClusterHooks> {
  const node = new ClusterNode(broker, settings);
  await node.start();
  return node;
}
