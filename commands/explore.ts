/**
 * `mqx explore [FILTER...]`: a live topic tree in the terminal (src/explore/). Every connection
 * flag of `mqx sub` and its --decode (default auto); filters default to '#'. A terminal is
 * required on both ends: explore never writes its screen into a pipe.
 */
import type { Argv, CommandModule, Options } from 'yargs';
import { Client } from '../src/client/client.js';
import { ExitCode, UsageError } from '../src/errors.js';
import { explore } from '../src/explore/app.js';
import { PayloadDecoding } from '../src/explore/decoding.js';
import { wantsColour } from '../src/output/colours.js';
import type { DecodeFormat } from '../src/payload/formats.js';
import type { QoS, SubscriptionRequest } from '../src/protocol/types.js';
import { validateTopicFilter } from '../src/topics/validate.js';
import {
  CONNECTION_OPTIONS,
  CONNECTION_PARSER,
  type ConnectionArgv,
  connectionFlags,
  parseQos,
  resolveConnection,
} from './shared/connection-flags.js';
import type { CommandFlags } from './shared/fast-args.js';
import { checkProtoFlags, DECODE_OPTIONS, type PayloadArgv } from './shared/payload-flags.js';

interface ExploreArgv extends ConnectionArgv, PayloadArgv {
  filters?: string[];
  topic?: string | string[];
  qos?: number;
}

const EXPLORE_OPTIONS = {
  topic: { alias: 't', type: 'string', describe: 'topic filter; repeatable' },
  qos: { alias: 'q', type: 'number', describe: 'QoS of the subscriptions', default: 0 },
} satisfies Record<string, Options>;

export const flags: CommandFlags = {
  options: { ...CONNECTION_OPTIONS, ...EXPLORE_OPTIONS, ...DECODE_OPTIONS },
  parserConfiguration: CONNECTION_PARSER,
};

export const NEEDS_TERMINAL = 'mqx explore needs a terminal; use mqx sub';

function builder(y: Argv) {
  return connectionFlags(y)
    .usage(
      '$0 explore [filter..] [options]\n\nBrowse the topics of a broker in the terminal (? lists the keys).',
    )
    .positional('filters', { type: 'string', array: true, describe: "topic filters (default '#')" })
    .options({ ...EXPLORE_OPTIONS, ...DECODE_OPTIONS })
    .example('$0 explore', 'every topic on localhost, Sparkplug B decoded on spBv1.0/')
    .example("$0 explore 'sensors/#' -h broker.lan -V 5", 'one subtree, MQTT 5 properties shown')
    .example("$0 explore 'meters/#' --decode cbor", 'CBOR payloads shown as JSON');
}

function many(value: string | string[] | undefined): string[] {
  return value === undefined ? [] : (Array.isArray(value) ? value : [value]).map(String);
}

async function handler(argv: ExploreArgv): Promise<void> {
  if (!process.stdin.isTTY || !process.stdout.isTTY) {
    process.stderr.write(`${NEEDS_TERMINAL}\n`);
    process.exit(ExitCode.Usage);
  }
  const connection = await resolveConnection(argv);
  const version = connection.options.protocolVersion ?? 4;
  const qos: QoS = parseQos(argv.qos ?? 0);
  const filters = [...(argv.filters ?? []).map(String), ...connection.extraPositionals, ...many(argv.topic)];
  if (filters.length === 0) filters.push(connection.urlTopic ?? '#');
  for (const f of filters) {
    const problem = validateTopicFilter(f);
    if (problem) throw new UsageError(problem);
  }
  checkProtoFlags(argv, 'decode');
  const format = (argv.decode ?? 'auto') as DecodeFormat;
  // The codec bundle (and protobufjs) loads only for a format asked for, or the first spBv1.0/ message.
  const decoding = new PayloadDecoding(format, async (warn) =>
    (await import('./shared/payload.js')).payloadDecoder({ ...argv, decode: format }, true, warn),
  );
  const requests: SubscriptionRequest[] = filters.map((topicFilter) => ({
    topicFilter,
    qos,
    ...(version === 5 ? { retainAsPublished: true } : {}),
  }));

  const client = new Client(connection.options);
  try {
    const { host, port } = connection.options.broker;
    const result = await explore({
      client,
      requests,
      ...(connection.properties.subscribe ? { subscribeProperties: connection.properties.subscribe } : {}),
      input: process.stdin,
      output: process.stdout,
      title: `${host}:${port}  ${filters.join(' ')}`,
      colour: wantsColour(process.stdout),
      retainAsPublished: version === 5,
      decoding,
    });
    if (result.error) throw result.error;
    await client.end({ timeoutMs: 1_000 });
    if (result.code !== ExitCode.Success) process.exit(result.code);
  } catch (err) {
    client.destroy();
    throw err;
  }
}

const command: CommandModule = {
  command: 'explore [filters..]',
  describe: 'browse topics in the terminal: live tree, payloads, search, publish, clear retained',
  builder: builder as CommandModule['builder'],
  handler: (argv) => handler(argv as unknown as ExploreArgv),
};

export default command;
