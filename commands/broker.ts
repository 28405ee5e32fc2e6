import type { ArgumentsCamelCase, Argv, CommandModule, Options } from 'yargs';
import { loadBrokerConfig } from '../src/broker/load-config.js';
import { UsageError } from '../src/errors.js';
import type { CommandFlags } from './shared/fast-args.js';

interface BrokerArgs {
  port?: number[];
  config?: string;
  verbose: boolean;
  daemon: boolean;
  check: boolean;
  persistence?: string;
  cluster?: string;
  http?: string;
  logFormat?: 'text' | 'json';
}

const BROKER_OPTIONS = {
  port: {
    alias: 'p',
    type: 'number',
    array: true,
    describe:
      'Listen on this port (repeatable); without -c, on loopback only as mosquitto 2.0. 0 picks a free port',
  },
  config: {
    alias: 'c',
    type: 'string',
    describe: 'mosquitto.conf, or an mqx config file (json, yaml, js)',
  },
  verbose: {
    alias: 'v',
    type: 'boolean',
    default: false,
    describe: 'Log every log type (as mosquitto -v)',
  },
  daemon: { alias: 'd', type: 'boolean', default: false, describe: 'Run in the background' },
  check: {
    type: 'boolean',
    default: false,
    describe: 'Validate the configuration, print it, and exit',
  },
  persistence: {
    type: 'string',
    describe: 'Keep sessions, queues and retained messages in DIR',
  },
  cluster: {
    type: 'string',
    describe:
      'Join the cluster of brokers that share this Redis: redis://[user:pass@]HOST:PORT[/DB] (password also from MQX_CLUSTER_PASSWORD)',
  },
  http: {
    type: 'string',
    describe:
      'Serve metrics, the admin API and the dashboard on [HOST:]PORT (loopback without HOST; another address needs a password file)',
  },
  'log-format': {
    type: 'string',
    choices: ['text', 'json'],
    describe: "Log lines as mosquitto's text or one JSON object each",
  },
} satisfies Record<string, Options>;

/** Read by the yargs builder below and by src/cli.ts's fast path. */
export const flags: CommandFlags = { options: BROKER_OPTIONS };

const command: CommandModule<object, BrokerArgs> = {
  command: 'broker',
  describe: 'Run an MQTT 3.1/3.1.1/5.0 broker (reads mosquitto.conf files unchanged)',
  builder: (y: Argv) =>
    y
      .options(BROKER_OPTIONS)
      .example('$0 broker', 'listen on 127.0.0.1:1883, anonymous clients allowed')
      .example('$0 broker -p 1884 --cluster redis://localhost:6379', 'run one node of a cluster')
      .example(
        '$0 broker -c /etc/mosquitto/mosquitto.conf -v',
        'run with an existing mosquitto configuration',
      ) as Argv<BrokerArgs>,
  handler: async (argv: ArgumentsCamelCase<BrokerArgs>) => {
    for (const p of argv.port ?? []) {
      if (!Number.isInteger(p) || p < 0 || p > 65535)
        throw new UsageError(`--port expects 0..65535, got ${p}`);
    }
    const request = {
      configFile: argv.config,
      ports: argv.port ?? [],
      verbose: argv.verbose,
      persistenceDir: argv.persistence,
      clusterUrl: argv.cluster,
      http: argv.http,
      logFormat: argv.logFormat,
      pathPrefix: process.env.MQX_PATH_PREFIX,
    };
    const config = await loadBrokerConfig(request);
    if (argv.check) {
      const { formatEffectiveConfig } = await import('../src/config/describe.js');
      process.stdout.write(formatEffectiveConfig(config));
      return;
    }
    if (argv.daemon) {
      const args = process.argv.slice(1).filter((a) => a !== '-d' && a !== '--daemon');
      const { spawn } = await import('node:child_process');
      spawn(process.execPath, [...process.execArgv, ...args], { detached: true, stdio: 'ignore' }).unref();
      return;
    }
    const { Broker } = await import('../src/broker/broker.js');
    const broker = new Broker(config);
    await broker.start();
    // Loaded only when asked for: an idle broker without it never reads src/admin.
    const admin =
      config.http && (await import('../src/admin/index.js').then((m) => m.attachAdmin(broker, config.http!)));
    let stopping = false;
    const stop = () => {
      if (stopping) return;
      stopping = true;
      Promise.resolve(admin?.stop())
        .then(() => broker.stop())
        .then(() => process.exit(0));
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    process.on('SIGHUP', () => {
      broker
        .reload()
        .catch((err: unknown) =>
          broker.log.error(`Reload failed: ${err instanceof Error ? err.message : String(err)}`),
        );
    });
  },
};

export default command;
