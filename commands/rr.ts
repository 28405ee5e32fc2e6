/**
 * `mqx rr`: one request, its response printed as `mqx sub` prints messages; mosquitto_rr's flags.
 * MQTT 5 (-V 5) matches the response by Correlation Data, 3.1/3.1.1 by the topic pair alone.
 */
import { readFileSync } from 'node:fs';
import type { Argv, CommandModule, Options } from 'yargs';
import { Client } from '../src/client/client.js';
import { UsageError } from '../src/errors.js';
import { loadColours } from '../src/output/colours.js';
import { renderer } from '../src/output/render.js';
import { formatRoundTrips, summarize } from '../src/rr/latency.js';
import { requestResponse } from '../src/rr/request-response.js';
import { validateTopicName } from '../src/topics/validate.js';
import { connectWithFeedback } from './shared/connect.js';
import {
  CONNECTION_OPTIONS,
  CONNECTION_PARSER,
  type ConnectionArgv,
  parseQos,
  resolveConnection,
} from './shared/connection-flags.js';
import { counter, onInterrupt } from './shared/interrupt.js';
import { checkProtoFlags, DECODE_OPTIONS, type PayloadArgv } from './shared/payload-flags.js';

interface RrArgv extends ConnectionArgv, PayloadArgv {
  topic?: string;
  'response-topic'?: string;
  message?: string;
  file?: string;
  stdin?: boolean;
  'null-message'?: boolean;
  qos?: number;
  timeout?: number;
  count?: number;
  latency?: boolean;
  verbose?: boolean;
  format?: string;
  json?: boolean;
  pretty?: boolean;
  'no-eol'?: boolean;
}

/** -c is the request count here (mosquitto_rr has no repeat); --no-clean keeps its long name. */
const { alias: _cleanAlias, ...NO_CLEAN } = CONNECTION_OPTIONS['no-clean'];

const RR_OPTIONS = {
  topic: { alias: 't', type: 'string', describe: 'request topic' },
  'response-topic': { alias: 'e', type: 'string', describe: 'response topic' },
  message: { alias: 'm', type: 'string', describe: 'request payload' },
  file: { alias: 'f', type: 'string', describe: 'send a file as the request' },
  stdin: { alias: 's', type: 'boolean', describe: 'send all of stdin as the request' },
  'null-message': { alias: 'n', type: 'boolean', describe: 'send an empty request' },
  qos: { alias: 'q', type: 'number', describe: 'QoS of the request and the subscription', default: 0 },
  timeout: { alias: 'W', type: 'number', describe: 'exit 5 when a response takes more than SECONDS' },
  count: { alias: 'c', type: 'number', describe: 'make N requests, one after the other', default: 1 },
  latency: {
    type: 'boolean',
    describe: 'print each round trip on stderr, and min/median/p99 after -c N',
  },
  verbose: { alias: 'v', type: 'boolean', describe: 'print "topic payload"' },
  format: { alias: 'F', type: 'string', describe: 'mosquitto_sub format string (%t %p %x %j ...)' },
  json: {
    type: 'boolean',
    describe: 'the response as one JSON object (binary payloads in base64)',
    conflicts: ['format', 'verbose'],
  },
  pretty: { type: 'boolean', describe: 'indent JSON (--json, %j, %J)' },
  'no-eol': { alias: 'N', type: 'boolean', describe: 'no newline after the response' },
} satisfies Record<string, Options>;

function builder(y: Argv) {
  return y
    .parserConfiguration(CONNECTION_PARSER)
    .options({ ...CONNECTION_OPTIONS, 'no-clean': NO_CLEAN })
    .usage('$0 rr -t REQUEST -e RESPONSE [-m MSG] [options]\n\nSend a request and print its response.')
    .options(RR_OPTIONS)
    .options(DECODE_OPTIONS)
    .example('$0 rr -t svc/time -e svc/time/reply -m now -W 5', 'one request, at most 5 s')
    .example('$0 rr -V 5 -t svc/echo -e me/reply -m x -c 100 --latency', 'round-trip figures');
}

function requestPayload(argv: RrArgv): Buffer | 'stdin' {
  const given = [argv.message !== undefined, argv.file !== undefined, argv.stdin, argv['null-message']];
  if (given.filter(Boolean).length > 1) throw new UsageError('give only one of -m, -f, -s, -n');
  if (argv.file !== undefined) {
    try {
      return readFileSync(argv.file);
    } catch (err) {
      throw new UsageError(`cannot read ${argv.file}: ${(err as NodeJS.ErrnoException).code ?? err}`);
    }
  }
  if (argv.stdin) return 'stdin';
  return Buffer.from(argv.message ?? '');
}

async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function topicFlag(value: string | undefined, flag: string): string {
  if (value === undefined) throw new UsageError(`${flag} is required`);
  const problem = validateTopicName(String(value));
  if (problem) throw new UsageError(`${flag}: ${problem}`);
  return String(value);
}

async function handler(argv: RrArgv): Promise<void> {
  const connection = await resolveConnection(argv);
  const requestTopic = topicFlag(argv.topic ?? connection.urlTopic, '-t (request topic)');
  const responseTopic = topicFlag(argv['response-topic'], '-e (response topic)');
  const qos = parseQos(argv.qos ?? 0);
  const count = argv.count ?? 1;
  if (!Number.isInteger(count) || count < 1) throw new UsageError('-c must be a positive integer');
  const timeout = argv.timeout;
  if (timeout !== undefined && !(timeout > 0))
    throw new UsageError('-W must be a positive number of seconds');
  checkProtoFlags(argv, 'decode');
  const source = requestPayload(argv);
  const payload = source === 'stdin' ? await readStdin() : source;

  const chalk = await loadColours(process.stdout);
  const warn = (line: string) => process.stderr.write(`${line}\n`);
  const render = renderer(argv, chalk, warn);
  // The response printed as mqx sub prints a message, --decode included.
  const pretty = argv.pretty ?? (!argv.json && argv.format === undefined && process.stdout.isTTY);
  const decode =
    argv.decode === undefined
      ? undefined
      : await (await import('./shared/payload.js')).payloadDecoder(argv, pretty === true, warn);
  const answered = counter();
  const connectTimeoutMs = connection.options.connectTimeoutMs ?? 30_000;
  const client = new Client({
    ...connection.options,
    connectTimeoutMs: timeout !== undefined ? Math.min(connectTimeoutMs, timeout * 1000) : connectTimeoutMs,
  });
  const interrupt = onInterrupt(answered, 'answered', () => client.end({ timeoutMs: 200 }));
  try {
    await interrupt.guard(connectWithFeedback(client, connection.debug));
    const roundTrips = await interrupt.guard(
      requestResponse(client, {
        requestTopic,
        responseTopic,
        payload,
        qos,
        count,
        ...(timeout !== undefined ? { timeoutMs: timeout * 1000 } : {}),
        ...(connection.properties.publish ? { properties: connection.properties.publish } : {}),
        onResponse: (message, rtt) => {
          answered.count++;
          process.stdout.write(
            render(decode ? { ...message, decoded: decode(message.topic, message.payload) } : message),
          );
          if (argv.latency) process.stderr.write(`round trip: ${rtt.toFixed(3)} ms\n`);
        },
      }),
    );
    const summary = summarize(roundTrips);
    if (argv.latency && summary && count > 1) process.stderr.write(`${formatRoundTrips(summary)}\n`);
    await client.end({ timeoutMs: 2_000 });
  } catch (err) {
    client.destroy();
    throw err;
  } finally {
    interrupt.dispose();
  }
}

const command: CommandModule = {
  command: 'rr',
  describe: 'request/response: publish a request and print its response (mosquitto_rr flags)',
  builder: builder as CommandModule['builder'],
  handler: (argv) => handler(argv as unknown as RrArgv),
};

export default command;
