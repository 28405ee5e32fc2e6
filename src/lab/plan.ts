/**
 * A lab resolved into what will run: one BrokerConfig per broker, with its ports and its bridges'
 * addresses rewritten in memory (files named by the lab stay unchanged on disk), and the topology
 * the checks look at. `--port-base N` shifts every port by N - 1883, the course's 1883..1886
 * becoming N..N+3; a bridge address on this machine whose port is another lab broker's names that
 * broker, and follows it.
 */
import net from 'node:net';
import { loadBrokerConfig } from '../broker/load-config.js';
import { newBridge } from '../config/bridge-rules.js';
import {
  type BridgeConfig,
  type BrokerConfig,
  defaultBrokerConfig,
  defaultListener,
} from '../config/broker-config.js';
import { ConfigError } from '../errors.js';
import type { GraphBridge, Topology } from './graph.js';
import type { Lab, LabBroker } from './lab-file.js';

export interface PlannedBroker {
  name: string;
  port: number;
  config: BrokerConfig;
}

export interface PlannedBridge extends GraphBridge {
  /** Written in the lab file, or a `connection` block of the broker's own config file. */
  inLabFile: boolean;
  /** For a standalone bridge of the lab file: its configuration (it runs outside the brokers). */
  standalone?: BridgeConfig;
}

export interface Plan {
  lab: Lab;
  brokers: PlannedBroker[];
  bridges: PlannedBridge[];
  topology: Topology;
}

export interface PlanOptions {
  portBase?: number | undefined;
  /** MQX_PATH_PREFIX, for the absolute paths of a mosquitto.conf. */
  pathPrefix?: string | undefined;
}

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '::1']);
/** Lab bridges retry fast: a target broker may still be opening its listener. */
const LAB_RESTART_TIMEOUT: [number, number] = [1, 5];

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** A broker without a config file is mosquitto's default one, on loopback, anonymous clients allowed. */
async function configOf(broker: LabBroker, pathPrefix: string | undefined): Promise<BrokerConfig> {
  if (broker.config !== undefined)
    return loadBrokerConfig({ configFile: broker.config, ports: [], verbose: false, pathPrefix });
  const config = defaultBrokerConfig();
  config.listeners = [defaultListener(broker.port ?? 0)];
  config.security = { allowAnonymous: true };
  return config;
}

/** The in-process brokers write nothing to the terminal: the lab's view or log does. */
function quiet(config: BrokerConfig): void {
  config.log = {
    ...config.log,
    destinations: config.log.destinations.filter((d) => d.kind !== 'stdout' && d.kind !== 'stderr'),
  };
  if (config.log.destinations.length === 0) config.log.destinations = [{ kind: 'none' }];
}

export async function planLab(lab: Lab, options: PlanOptions = {}): Promise<Plan> {
  const offset = options.portBase === undefined ? 0 : options.portBase - 1883;
  const shift = (port: number, where: string) => {
    if (port === 0) return 0;
    const shifted = port + offset;
    if (shifted < 1 || shifted > 65535)
      throw new ConfigError(`${lab.source}: ${where}: port ${port} shifted by --port-base is ${shifted}`);
    return shifted;
  };
  const brokers: PlannedBroker[] = [];
  /** Port as written (before the shift) → broker name, for bridge addresses. */
  const byWrittenPort = new Map<number, string>();
  for (const b of lab.brokers) {
    const config = await configOf(b, options.pathPrefix);
    const first = config.listeners[0];
    if (first === undefined) throw new ConfigError(`${lab.source}: brokers.${b.name}: no listener`);
    const written = b.port ?? first.port;
    for (const l of config.listeners) l.port = shift(l.port, `brokers.${b.name}`);
    if (b.port !== undefined) first.port = shift(b.port, `brokers.${b.name}`);
    if (first.port === 0) first.port = await freePort();
    if (written !== 0) {
      const other = byWrittenPort.get(written);
      if (other !== undefined)
        throw new ConfigError(`${lab.source}: brokers ${other} and ${b.name} both use port ${written}`);
      byWrittenPort.set(written, b.name);
    }
    quiet(config);
    brokers.push({ name: b.name, port: first.port, config });
  }
  const portOf = (name: string) => brokers.find((b) => b.name === name)!.port;
  const bridges: PlannedBridge[] = [];
  for (const planned of brokers) {
    for (const bc of planned.config.bridges) {
      const target = bc.addresses.map((a) =>
        LOCAL_HOSTS.has(a.host) ? byWrittenPort.get(a.port) : undefined,
      );
      bc.addresses = bc.addresses.map((a, i) =>
        target[i] === undefined ? a : { host: a.host, port: portOf(target[i]!) },
      );
      const first = bc.addresses[0]!;
      bridges.push({
        name: bc.name,
        from: planned.name,
        to: target[0] ?? `${first.host}:${first.port}`,
        rules: bc.topics,
        inLabFile: false,
      });
    }
  }
  for (const lb of lab.bridges) {
    const from = brokers.find((b) => b.name === lb.from)!;
    const bc = newBridge(lb.name, `${lab.source}: bridge ${lb.name}`);
    bc.addresses = [{ host: '127.0.0.1', port: portOf(lb.to) }];
    bc.topics = lb.rules;
    bc.protocolVersion = lb.protocol;
    bc.restartTimeout = LAB_RESTART_TIMEOUT;
    const graph = { name: lb.name, from: lb.from, to: lb.to, rules: lb.rules, inLabFile: true };
    if (lb.standalone) {
      bridges.push({ ...graph, standalone: bc });
      continue;
    }
    if (from.config.bridges.some((b) => b.name === lb.name))
      throw new ConfigError(
        `${lab.source}: bridge ${lb.name}: ${lb.from}'s config already has a connection of that name`,
      );
    from.config.bridges.push(bc);
    bridges.push(graph);
  }
  const external = bridges.map((b) => b.to).filter((to) => !brokers.some((b) => b.name === to));
  return {
    lab,
    brokers,
    bridges,
    topology: {
      brokers: [...brokers.map((b) => b.name), ...new Set(external)],
      bridges,
      publishers: lab.publishers.map((p) => ({ name: p.name, broker: p.broker, topic: p.topic })),
      subscribers: lab.subscribers.map((s) => ({ name: s.name, broker: s.broker, filters: s.filters })),
    },
  };
}
