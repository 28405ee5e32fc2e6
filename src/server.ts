/**
 * The composition root: builds a Broker from its configuration and attaches, through the hooks
 * the broker declares (src/broker/hooks.ts), what extends it: the cluster and the in-broker
 * bridges. The broker itself imports none of them. Each extension's module loads only when the
 * configuration asks for it.
 */

import { attachHopGuard } from './bridge/hop-guard.js';
import type { RunningBridges } from './bridge/index.js';
import { Broker } from './broker/broker.js';
import type { ClusterHooks } from './broker/cluster-hooks.js';
import type { BrokerExtension } from './broker/hooks.js';
import type { BrokerConfig, ClusterSettings, HttpApiSettings } from './config/broker-config.js';

/** A broker with its extensions registered, not started yet. */
export function createServer(config: BrokerConfig): Broker {
  const broker = new Broker(config);
  // Every mqx broker stamps what leaves over a bridge, so a cycle of mqx bridges never circulates,
  // also through a broker that has no bridge of its own.
  attachHopGuard(broker);
  if (config.cluster) broker.extend(cluster(config.cluster));
  broker.extend(bridges(broker));
  const http = config.http;
  if (http) broker.extend(admin(http));
  return broker;
}

/** The HTTP listener: metrics, admin API, dashboard. Its bundle loads only when configured. */
function admin(settings: HttpApiSettings): BrokerExtension {
  let handle: { stop(): Promise<void> } | undefined;
  return {
    name: 'admin',
    async started(broker) {
      const { attachAdmin } = await import('./admin/index.js');
      handle = await attachAdmin(broker, settings);
    },
    async stop() {
      await handle?.stop();
    },
  };
}

/** createServer, then start(): listening, with every extension running. */
export async function startServer(config: BrokerConfig): Promise<Broker> {
  const broker = createServer(config);
  await broker.start();
  return broker;
}

/** Joins the cluster before the listeners open; leaves it once they are closed. */
function cluster(settings: ClusterSettings): BrokerExtension {
  let joined: ClusterHooks | undefined;
  return {
    name: 'cluster',
    async start(broker) {
      const { joinCluster } = await import('./cluster/index.js');
      joined = await joinCluster(broker, settings);
      broker.cluster = joined;
    },
    async stopped() {
      await joined?.stop();
    },
  };
}

/** The `connection` blocks of the configuration, started once listening, applied again on reload. */
function bridges(broker: Broker): BrokerExtension {
  let running: RunningBridges | undefined;
  const launch = async (configs: BrokerConfig['bridges']) => {
    const { startBridges } = await import('./bridge/index.js');
    running = await startBridges(broker, configs);
    broker.bridges = running;
  };
  return {
    name: 'bridges',
    async started() {
      if (broker.config.bridges.length > 0) await launch(broker.config.bridges);
    },
    async stop() {
      await running?.stop();
    },
    async reload(config) {
      if (running) await running.reload(config.bridges);
      else if (config.bridges.length > 0) await launch(config.bridges);
    },
  };
}
