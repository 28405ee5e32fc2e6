import type { ArgumentsCamelCase, Argv, CommandModule, Options } from 'yargs';
import { loadBrokerConfig } from '../src/broker/load-config.js';
import { ConfigError, ExitCode, MqxError, UsageError } from '../src/errors.js';
import type { CommandFlags } from './shared/fast-args.js';

interface BrokerArgs {
  port?: number[];
  config?: string;
  verbose: boolean;
  daemon: boolean;
  check: boolean;
  persistence?: string;
  cluster?: string;
  timestamps?: 'epoch' | 'iso';
  http?: string;
  logFormat?: 'text' | 'json';
}

/** The ISO 8601 form `mqx bridge` logs and `mqx sub -F %I` prints, as a log_timestamp_format. */
const ISO_TIMESTAMP_FORMAT = '%Y-%m-%dT%H:%M:%S%z';

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
    describe:
      'Validate the configuration, print it, check the files, directories and ports it names, and exit (0: it would start)',
  },
  persistence: {
    type: 'string',
    describe: 'Keep sessions, queues and retained messages in DIR',
  },
  timestamps: {
    type: 'string',
    choices: ['epoch', 'iso'],
    describe:
      "Log time stamps as mosquitto's seconds since 1970 (epoch, the default) or ISO 8601 local time, as mqx bridge logs (iso)",
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
    if (argv.timestamps === 'iso')
      config.log = { ...config.log, timestamp: true, timestampFormat: ISO_TIMESTAMP_FORMAT };
    if (argv.check) {
      const [{ formatEffectiveConfig }, { preflight }] = await Promise.all([
        import('../src/config/describe.js'),
        import('../src/broker/preflight.js'),
      ]);
      process.stdout.write(formatEffectiveConfig(config));
      const { problems, warnings } = await preflight(config);
      for (const warning of warnings) process.stderr.write(`mqx: warning: ${warning}\n`);
      const { bridgeFindings } = await import('../src/lab/conf-topology.js');
      const findings = bridgeFindings(config);
      for (const f of findings) process.stdout.write(`bridge topology: ${f.message}\n`);
      // One `mqx: ` line per problem: the last through the error, so that the exit code is 2.
      if (problems.length > 0) throw new ConfigError(problems.join('\nmqx: '));
      if (findings.length > 0)
        throw new MqxError(`${findings.length} bridge topology finding(s)`, ExitCode.Failure);
      return;
    }
    if (argv.daemon) {
      const args = process.argv.slice(1).filter((a) => a !== '-d' && a !== '--daemon');
      const { spawn } = await import('node:child_process');
      spawn(process.execPath, [...process.execArgv, ...args], { detached: true, stdio: 'ignore' }).unref();
      return;
    }
    const { startServer } = await import('../src/server.js');
    const broker = await startServer(config);
    let stopping = false;
    const stop = () => {
      if (stopping) return;
      stopping = true;
      broker.stop().then(() => process.exit(0));
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
