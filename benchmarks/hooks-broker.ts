/**
 * A broker for bench/hooks.ts: the composition root's broker on a free loopback port, with a
 * no-op observer on every event when started with `observed`. Prints its port, then serves.
 */
import type { BrokerObserver } from '../src/broker/hooks.js';
import { defaultBrokerConfig } from '../src/config/broker-config.js';
import { startServer } from '../src/server.js';

const noop = () => undefined;
const everyEvent: BrokerObserver = {
  name: 'no-op',
  started: noop,
  stopping: noop,
  reloaded: noop,
  sessionConnected: noop,
  sessionDisconnected: noop,
  sessionTakenOver: noop,
  sessionEnded: noop,
  subscribed: noop,
  unsubscribed: noop,
  messageAccepted: noop,
  messageRouted: noop,
  messageDelivered: noop,
  messageDropped: noop,
  flowChanged: noop,
};

const config = {
  ...defaultBrokerConfig(),
  listeners: [{ port: 0, host: '127.0.0.1', protocol: 'mqtt' as const, maxConnections: 0 }],
  sysInterval: 0,
};
config.log = { ...config.log, destinations: [] };
const broker = await startServer(config);
if (process.argv.includes('observed')) broker.observe(everyEvent);
process.stdout.write(`${broker.ports[0]}\n`);
process.on('SIGTERM', () => {
  broker.stop().then(() => process.exit(0));
});
