/**
 * The bridges of a broker's configuration, run inside the broker. reload() applies a new list
 * (SIGHUP): bridges that are gone stop, new ones start, changed ones restart; unchanged ones keep
 * their connection. A bridge's session outlives a restart, so nothing queued for it is lost.
 */
import type { Broker } from '../broker/broker.js';
import type { BridgeConfig } from '../config/broker-config.js';
import { BrokerBridge } from './broker-bridge.js';
import { attachHopGuard } from './hop-guard.js';

export interface RunningBridges {
  stop(): Promise<void>;
  reload(configs: BridgeConfig[]): Promise<void>;
  /** By connection name, for tests and $SYS. */
  readonly bridges: ReadonlyMap<string, BrokerBridge>;
}

/** What decides a bridge's behaviour; where it was written (origin) does not. */
function fingerprint(config: BridgeConfig): string {
  return JSON.stringify({
    ...config,
    origin: undefined,
    topics: config.topics.map((t) => ({ ...t, origin: undefined })),
  });
}

export async function startBridges(broker: Broker, configs: BridgeConfig[]): Promise<RunningBridges> {
  attachHopGuard(broker);
  const bridges = new Map<string, BrokerBridge>();
  const launch = (config: BridgeConfig) => {
    const bridge = new BrokerBridge(broker, config);
    bridges.set(config.name, bridge);
    bridge.start();
  };
  for (const config of configs) launch(config);
  return {
    bridges,
    async stop() {
      await Promise.all([...bridges.values()].map((b) => b.stop()));
      bridges.clear();
    },
    async reload(next) {
      const wanted = new Map(next.map((c) => [c.name, c]));
      for (const [name, bridge] of [...bridges]) {
        const config = wanted.get(name);
        if (config !== undefined && fingerprint(config) === fingerprint(bridge.config)) continue;
        broker.log.notice(`Bridge ${name}: ${config === undefined ? 'removed' : 'changed'}; stopping.`);
        bridges.delete(name);
        await bridge.stop(config === undefined);
      }
      for (const config of next) {
        if (bridges.has(config.name)) continue;
        launch(config);
      }
    },
  };
}
