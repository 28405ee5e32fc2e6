/**
 * `mqx bench conn|pub|sub|pubsub`: a load generator speaking raw MQTT through the shared codec.
 * Flags and the summary are declared here; the work is in src/loadgen.
 */
import type { Argv, CommandModule } from 'yargs';
import { ConnectionError, ExitCode, isMqxError } from '../src/errors.js';
import { runWithStatus } from '../src/loadgen/live.js';
import { type BenchMode, LoadRun } from '../src/loadgen/load.js';
import { failed, loadOptions } from '../src/loadgen/options.js';
import { formatSummary } from '../src/loadgen/report.js';
import {
  type ConnectionArgv,
  connectionFlags,
  parseQos,
  resolveConnection,
} from './shared/connection-flags.js';

interface BenchArgv extends ConnectionArgv {
  mode: BenchMode;
  clients?: number;
  subscribers?: number;
  'connect-interval'?: number;
  'connect-concurrency'?: number;
  topic?: string;
  'sub-topic'?: string;
  qos?: number;
  'subscribe-qos'?: number;
  retain?: boolean;
  size?: number;
  'message-interval'?: number;
  rate?: number;
  limit?: number;
  duration?: number;
  inflight?: number;
  batch?: number;
  'drain-timeout'?: number;
  json?: boolean;
}

const LOAD = 'Load:';

/**
 * connectionFlags gives -c to --no-clean as mosquitto does; here -c is the client count, as in
 * every MQTT load generator, so --no-clean keeps only its long name.
 */
function withoutShortClean<T>(y: Argv<T>): Argv<T> {
  const proxy: Argv<T> = new Proxy(y, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (prop === 'option' && args[0] === 'no-clean')
          args[1] = { ...(args[1] as object), alias: undefined };
        const result = value.apply(target, args);
        return result === target ? proxy : result;
      };
    },
  });
  return proxy;
}

/**
 * Short flags that mean something else in pub and sub (-n null message, -s stdin, -m message):
 * they still work, with a note, and the long names are the ones to use.
 */
const DEPRECATED_SHORT: Record<string, string> = {
  '-n': '--subscribers',
  '-s': '--size',
  '-m': '--message-interval',
};

function deprecationNotes(words: readonly string[]): string[] {
  return words
    .filter((w) => Object.hasOwn(DEPRECATED_SHORT, w))
    .map((w) => `mqx: bench ${w} is deprecated (in pub it means something else): use ${DEPRECATED_SHORT[w]}`);
}

function builder(y: Argv) {
  return connectionFlags(withoutShortClean(y))
    .usage('$0 bench <conn|pub|sub|pubsub> [options]\n\nGenerate MQTT load and measure the broker.')
    .positional('mode', { choices: ['conn', 'pub', 'sub', 'pubsub'] as const, describe: 'what to run' })
    .option('clients', {
      alias: 'c',
      type: 'number',
      group: LOAD,
      describe: 'publishers (pub, pubsub), subscribers (sub) or connections (conn)',
      default: 1,
    })
    .option('subscribers', {
      alias: 'n',
      type: 'number',
      group: LOAD,
      describe: 'pubsub: subscribing connections (-n is deprecated)',
      default: 1,
    })
    .option('connect-interval', {
      type: 'number',
      group: LOAD,
      describe: 'ms between connection attempts (0: as fast as possible)',
      default: 0,
    })
    .option('connect-concurrency', {
      type: 'number',
      group: LOAD,
      describe: 'handshakes in flight at once when the interval is 0',
      default: 64,
    })
    .option('topic', {
      alias: 't',
      type: 'string',
      group: LOAD,
      describe: 'topic (pub, pubsub) or filter (sub); %i = client index, %c = client id',
      defaultDescription: 'bench/%i, sub: bench/#',
    })
    .option('sub-topic', {
      alias: 'T',
      type: 'string',
      group: LOAD,
      describe: "pubsub: subscribers' filter; %i = subscriber index",
      defaultDescription: 'bench/#',
    })
    .option('qos', {
      alias: 'q',
      type: 'number',
      group: LOAD,
      describe: 'QoS of publishes and subscriptions',
      default: 0,
    })
    .option('subscribe-qos', {
      type: 'number',
      group: LOAD,
      describe: 'QoS of subscriptions',
      defaultDescription: '--qos',
    })
    .option('retain', { alias: 'r', type: 'boolean', group: LOAD, describe: 'publish retained messages' })
    .option('size', {
      alias: 's',
      type: 'number',
      group: LOAD,
      describe: 'payload bytes (at least 20: sequence and time stamp; -s is deprecated)',
      default: 64,
    })
    .option('message-interval', {
      alias: 'm',
      type: 'number',
      group: LOAD,
      describe: 'ms between messages of each publisher (-m is deprecated)',
    })
    .option('rate', {
      type: 'number',
      group: LOAD,
      describe: 'messages per second over all publishers',
      defaultDescription: 'as fast as possible',
    })
    .option('limit', {
      type: 'number',
      group: LOAD,
      describe: 'messages per publisher (pub, pubsub) or per subscriber (sub), then stop',
    })
    .option('duration', {
      type: 'number',
      group: LOAD,
      describe: 'seconds to run',
      defaultDescription: 'until --limit or Ctrl-C',
    })
    .option('inflight', {
      type: 'number',
      group: LOAD,
      describe: 'unacknowledged QoS 1/2 messages per publisher',
      default: 1000,
    })
    .option('batch', { type: 'number', group: LOAD, describe: 'most messages per write', default: 256 })
    .option('drain-timeout', {
      type: 'number',
      group: LOAD,
      describe: 'seconds without a delivery before the rest counts as lost',
      default: 5,
    })
    .option('json', { type: 'boolean', describe: 'print the summary as one JSON object' })
    .example('$0 bench pubsub -c 10 -q 1 --limit 10000', '10 publishers to 1 subscriber, checked and timed')
    .example('$0 bench conn -c 10000 --duration 30', 'hold 10,000 idle connections')
    .example('$0 bench pub -c 4 --rate 1000 -t sensors/%c', 'a steady 1,000 msg/s over 4 clients');
}

const command: CommandModule<object, BenchArgv> = {
  command: 'bench <mode>',
  describe: 'Load-test a broker: connections, publish, subscribe, end-to-end latency',
  builder: builder as unknown as (y: Argv) => Argv<BenchArgv>,
  handler: async (argv) => {
    for (const note of deprecationNotes(process.argv.slice(2))) process.stderr.write(`${note}\n`);
    const { options: connection } = await resolveConnection(argv);
    const options = loadOptions(
      argv.mode,
      {
        clients: argv.clients,
        subscribers: argv.subscribers,
        connectInterval: argv['connect-interval'],
        connectConcurrency: argv['connect-concurrency'],
        topic: argv.topic,
        subTopic: argv['sub-topic'],
        qos: parseQos(argv.qos ?? 0),
        ...(argv['subscribe-qos'] !== undefined
          ? { subscribeQos: parseQos(argv['subscribe-qos'], 'subscribe-qos') }
          : {}),
        retain: argv.retain,
        size: argv.size,
        messageInterval: argv['message-interval'],
        rate: argv.rate,
        limit: argv.limit,
        duration: argv.duration,
        inflight: argv.inflight,
        batch: argv.batch,
        drainTimeout: argv['drain-timeout'],
      },
      connection,
    );
    const run = new LoadRun(options);
    let interrupted = false;
    const onSigint = () => {
      interrupted = true;
      run.abort();
    };
    process.once('SIGINT', onSigint);
    const summary = await runWithStatus(run);
    process.off('SIGINT', onSigint);
    if (interrupted) process.exitCode = ExitCode.Interrupted;
    else if (summary.connections.requested > 0 && summary.connections.connected === 0) {
      // Nothing was measured: the first failure (unreachable 3, refused 4, timeout 5) is the answer.
      if (isMqxError(run.connectError)) throw run.connectError;
      throw new ConnectionError(`cannot connect to ${summary.broker}`);
    }
    process.stdout.write(argv.json ? `${JSON.stringify(summary)}\n` : formatSummary(summary));
    if (!interrupted && failed(summary)) process.exitCode = ExitCode.Failure;
  },
};

export default command;
