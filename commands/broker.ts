import { spawn } from 'node:child_process';
import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { loadBrokerConfig } from '../src/broker/load-config.js';
import { UsageError } from '../src/errors.js';

interface BrokerArgs {
  port?: number[];
  config?: string;
  verbose: boolean;
  daemon: boolean;
  check: boolean;
  persistence?: string;
}

const command: CommandModule<object, BrokerArgs> = {
  command: 'broker',
  describe: 'Run an MQTT 3.1/3.1.1/5.0 broker (reads mosquitto.conf files unchanged)',
  builder: (y: Argv) =>
    y
      .option('port', {
        alias: 'p',
        type: 'number',
        array: true,
        describe:
          'Listen on this port (repeatable); without -c, on loopback only as mosquitto 2.0. 0 picks a free port',
      })
      .option('config', {
        alias: 'c',
        type: 'string',
        describe: 'mosquitto.conf, or an mqx config file (json, yaml, js)',
      })
      .option('verbose', {
        alias: 'v',
        type: 'boolean',
        default: false,
        describe: 'Log every log type (as mosquitto -v)',
      })
      .option('daemon', { alias: 'd', type: 'boolean', default: false, describe: 'Run in the background' })
      .option('check', {
        type: 'boolean',
        default: false,
        describe: 'Validate the configuration, print it, and exit',
      })
      .option('persistence', {
        type: 'string',
        describe: 'Keep sessions, queues and retained messages in DIR',
      })
      .example('$0 broker', 'listen on 127.0.0.1:1883, anonymous clients allowed')
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
      spawn(process.execPath, args, { detached: true, stdio: 'ignore' }).unref();
      return;
    }
    const { Broker } = await import('../src/broker/broker.js');
    const broker = new Broker(config);
    await broker.start();
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
