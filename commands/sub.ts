/**
 * `mqx sub`: subscribe and print messages, like mosquitto_sub: payloads, -v, -F format strings
 * or --json lines. Per-filter QoS: a filter may end in `:0`, `:1` or `:2` ('a/#:1'); -q applies
 * to the others. (A filter that really ends in ':1' is written with an explicit QoS: 'x:1:0'.)
 */
import { createWriteStream } from 'node:fs';
import type { Argv, CommandModule, Options } from 'yargs';
import { Client } from '../src/client/client.js';
import { topicMatches } from '../src/client/match.js';
import { ConnectionError, type MqxError, RejectedError, TimeoutError, UsageError } from '../src/errors.js';
import { loadColours } from '../src/output/colours.js';
import { nowNs } from '../src/output/message.js';
import { renderer } from '../src/output/render.js';
import { reasonName } from '../src/protocol/reason-codes.js';
import type { PublishPacket, QoS, SubscriptionRequest } from '../src/protocol/types.js';
import { validateTopicFilter } from '../src/topics/validate.js';
import { connectWithFeedback } from './shared/connect.js';
import {
  CONNECTION_OPTIONS,
  CONNECTION_PARSER,
  type ConnectionArgv,
  connectionFlags,
  parseQos,
  resolveConnection,
} from './shared/connection-flags.js';
import type { CommandFlags } from './shared/fast-args.js';
import { counter, onInterrupt } from './shared/interrupt.js';
import { checkProtoFlags, DECODE_OPTIONS, type PayloadArgv } from './shared/payload-flags.js';

interface SubArgv extends ConnectionArgv, PayloadArgv {
  filters?: string[];
  topic?: string | string[];
  qos?: number;
  count?: number;
  timeout?: number;
  'exit-on-subscribe'?: boolean;
  'no-retained'?: boolean;
  'retained-only'?: boolean;
  'remove-retained'?: boolean;
  'filter-out'?: string | string[];
  unsubscribe?: string | string[];
  verbose?: boolean;
  format?: string;
  json?: boolean;
  pretty?: boolean;
  'no-eol'?: boolean;
  output?: string;
  'no-local'?: boolean;
  'retain-as-published'?: boolean;
  'retain-handling'?: number;
  match?: string;
}

/**
 * --retained-only: a broker sends a subscription's retained messages right after its SUBACK, and
 * MQTT (5.0 included) does not say how many; so the set is complete at the first message that is
 * not retained, or when none has come for this long since SUBACK or the last retained one.
 */
const RETAINED_QUIET_MS = 500;

/** How long an ending subscriber waits for the PUBREL of QoS 2 messages it printed. */
const END_WAIT_MS = 2_000;

const SUB_OPTIONS = {
  topic: { alias: 't', type: 'string', describe: 'topic filter; repeatable' },
  qos: { alias: 'q', type: 'number', describe: 'QoS for filters without :QOS', default: 0 },
  count: { alias: 'C', type: 'number', describe: 'exit after COUNT messages' },
  timeout: {
    alias: 'W',
    type: 'number',
    describe: 'exit 5 after SECONDS unless done (-C, -E, --retained-only)',
  },
  'exit-on-subscribe': {
    alias: 'E',
    type: 'boolean',
    describe: 'exit once the broker acknowledged the subscriptions',
  },
  'no-retained': { alias: 'R', type: 'boolean', describe: 'do not print retained messages' },
  'retained-only': {
    type: 'boolean',
    describe: `print the retained messages and exit 0: at the first live one, or ${RETAINED_QUIET_MS} ms after the last`,
  },
  'remove-retained': {
    type: 'boolean',
    describe: 'clear every retained message received (honours -T)',
  },
  'filter-out': { alias: 'T', type: 'string', describe: 'hide topics matching FILTER; repeatable' },
  unsubscribe: {
    alias: 'U',
    type: 'string',
    describe: 'unsubscribe from FILTER after subscribing; repeatable',
  },
  verbose: { alias: 'v', type: 'boolean', describe: 'print "topic payload"' },
  format: {
    alias: 'F',
    type: 'string',
    describe: 'mosquitto_sub format string (%t %p %x %j ... @H \\n)',
  },
  json: {
    type: 'boolean',
    describe: 'one JSON object per message (binary payloads in base64)',
    conflicts: ['format', 'verbose'],
  },
  pretty: { type: 'boolean', describe: 'indent JSON (--json, %j, %J)' },
  'no-eol': { alias: 'N', type: 'boolean', describe: 'no newline after each message' },
  output: { type: 'string', describe: 'append messages to FILE instead of stdout' },
  'no-local': { type: 'boolean', describe: 'MQTT 5: not my own messages' },
  'retain-as-published': { type: 'boolean', describe: 'MQTT 5: keep the retain flag as published' },
  'retain-handling': {
    type: 'number',
    describe: 'MQTT 5: 0 send retained, 1 only for new subscriptions, 2 never',
  },
  ...DECODE_OPTIONS,
  match: {
    type: 'string',
    describe:
      "print only payloads matching re:REGEX, text:TEXT or json:PATH OP VALUE; exit at the first (or -C'th)",
  },
} satisfies Record<string, Options>;

/** Read by the yargs builder below and by src/cli.ts's fast path. */
export const flags: CommandFlags = {
  options: { ...CONNECTION_OPTIONS, ...SUB_OPTIONS },
  parserConfiguration: CONNECTION_PARSER,
};

function builder(y: Argv) {
  return connectionFlags(y)
    .usage(
      "$0 sub [filter..] [options]\n\nSubscribe and print messages. A filter may end in :QOS ('a/#:1') to set its own QoS.",
    )
    .positional('filters', { type: 'string', array: true, describe: 'topic filters (or -t)' })
    .options(SUB_OPTIONS)
    .example("$0 sub 'srv/#' -v", 'print topic and payload')
    .example("$0 sub 'ci/done' -C 1 -W 5", 'wait at most 5 s for one message')
    .example("$0 sub 'spBv1.0/#' --decode auto --json", 'Sparkplug B metrics by name, one JSON line each')
    .example("$0 sub 'srv/temp' --match 'json:$.value > 30' -W 60", 'wait for a reading above 30');
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function many(value: string | string[] | undefined): string[] {
  return value === undefined ? [] : (Array.isArray(value) ? value : [value]).map(String);
}

function checkFilter(filter: string): void {
  const problem = validateTopicFilter(filter);
  if (problem) throw new UsageError(problem);
}

/** Subscription requests from positionals, -t and the -L URL's topic; 'filter:Q' sets a QoS. */
function subscriptions(
  argv: SubArgv,
  urlTopic: string | undefined,
  extra: string[],
  version: number,
): SubscriptionRequest[] {
  const filters = [...(argv.filters ?? []).map(String), ...extra, ...many(argv.topic)];
  if (filters.length === 0 && urlTopic !== undefined) filters.push(urlTopic);
  if (filters.length === 0) throw new UsageError('no topic filter: give one as an argument or with -t');
  const qos = parseQos(argv.qos ?? 0);
  const options = [argv['no-local'], argv['retain-as-published'], argv['retain-handling']].some(
    (o) => o !== undefined,
  );
  if (options && version !== 5)
    throw new UsageError('--no-local, --retain-as-published and --retain-handling need MQTT 5 (-V 5)');
  const rh = argv['retain-handling'];
  if (rh !== undefined && rh !== 0 && rh !== 1 && rh !== 2)
    throw new UsageError('--retain-handling must be 0, 1 or 2');
  return filters.map((text) => {
    const m = /^(.*):([012])$/.exec(text);
    const topicFilter = m ? m[1]! : text;
    checkFilter(topicFilter);
    const request: SubscriptionRequest = { topicFilter, qos: m ? (Number(m[2]) as QoS) : qos };
    if (argv['no-local']) request.noLocal = true;
    if (argv['retain-as-published']) request.retainAsPublished = true;
    if (rh !== undefined) request.retainHandling = rh as 0 | 1 | 2;
    return request;
  });
}

async function handler(argv: SubArgv): Promise<void> {
  const connection = await resolveConnection(argv);
  const version = connection.options.protocolVersion ?? 4;
  const requests = subscriptions(argv, connection.urlTopic, connection.extraPositionals, version);
  const filterOut = many(argv['filter-out']);
  filterOut.forEach(checkFilter);
  const unsubscribe = many(argv.unsubscribe);
  unsubscribe.forEach(checkFilter);
  // Waiting for a match means stopping at it: --match alone is -C 1.
  const count = argv.count ?? (argv.match !== undefined ? 1 : undefined);
  if (count !== undefined && (!Number.isInteger(count) || count < 1))
    throw new UsageError('-C must be a positive integer');
  const timeout = argv.timeout;
  if (timeout !== undefined && !(timeout > 0))
    throw new UsageError('-W must be a positive number of seconds');
  if (argv['no-retained'] && argv['retained-only'])
    throw new UsageError('-R and --retained-only contradict each other');
  checkProtoFlags(argv, 'decode');

  const matches =
    argv.match !== undefined
      ? await (await import('../src/scripting/match.js')).compileMatch(String(argv.match))
      : undefined;

  const out: NodeJS.WritableStream = argv.output
    ? createWriteStream(argv.output, { flags: 'a' })
    : process.stdout;
  if (argv.output) out.on('error', () => undefined); // reported when the first write fails
  const chalk = argv.output ? undefined : await loadColours(process.stdout);
  const warn = (line: string) => process.stderr.write(`${line}\n`);
  const render = renderer(argv, chalk, warn);
  // Indented for people at a terminal; one line each for a pipe, a file, --json and -F.
  const pretty =
    argv.pretty ?? (!argv.output && !argv.json && argv.format === undefined && process.stdout.isTTY);
  const decode =
    argv.decode === undefined
      ? undefined
      : await (await import('./shared/payload.js')).payloadDecoder(argv, pretty === true, warn);

  const received = counter();
  const deadline = timeout !== undefined ? Date.now() + timeout * 1000 : undefined;
  const connectTimeoutMs = connection.options.connectTimeoutMs ?? 30_000;
  const client = new Client({
    ...connection.options,
    // -W bounds the whole run, connecting included.
    connectTimeoutMs: timeout !== undefined ? Math.min(connectTimeoutMs, timeout * 1000) : connectTimeoutMs,
    // A message is acknowledged once printed: one never printed stays with the broker (-c).
    manualAck: true,
  });
  // Ctrl-C exits 500 ms later whatever happens: most of that goes to finishing QoS 2 flows.
  const interrupt = onInterrupt(received, 'received', () => client.end({ timeoutMs: 400 }));

  let timer: NodeJS.Timeout | undefined;
  let quiet: NodeJS.Timeout | undefined;
  let over = false;
  let settle: (err?: MqxError) => void = () => undefined;
  const finished = new Promise<void>((resolve, reject) => {
    const done = (err?: MqxError) => {
      over = true;
      clearTimeout(timer);
      clearTimeout(quiet);
      if (err) reject(err);
      else resolve();
    };
    settle = done;
    if (deadline !== undefined) {
      timer = setTimeout(
        () => done(new TimeoutError(`timed out after ${timeout} s (${plural(received.count, 'message')})`)),
        deadline - Date.now(),
      );
    }
    client.on('close', (err) => done(err ?? new ConnectionError('connection closed')));
    // Listening before connect(): a kept session (-c) delivers queued messages right after CONNACK.
    client.on('message', (packet: PublishPacket, ack) => {
      // After the last message (-C, --retained-only) nothing more is printed, so nothing acknowledged.
      if (over) return;
      if (filterOut.some((f) => topicMatches(f, packet.topic))) return ack();
      if (argv['remove-retained'] && packet.retain && packet.payload.length > 0) {
        client.publish(packet.topic, Buffer.alloc(0), { retain: true }).catch(() => undefined);
      }
      if (argv['retained-only']) {
        if (!packet.retain) return done();
        clearTimeout(quiet);
        quiet = setTimeout(done, RETAINED_QUIET_MS);
      }
      if (argv['no-retained'] && packet.retain) return ack();
      if (matches && !matches(packet.payload)) return ack();
      received.count++;
      out.write(
        render({
          topic: packet.topic,
          payload: packet.payload,
          qos: packet.qos,
          retain: packet.retain,
          packetId: packet.packetId ?? 0,
          ...(packet.properties ? { properties: packet.properties } : {}),
          receivedNs: nowNs(),
          ...(decode ? { decoded: decode(packet.topic, packet.payload) } : {}),
        }),
      );
      ack();
      if (count !== undefined && received.count >= count) done();
    });
  });
  // A failure here is reported through `finished` (close event) or the connect() rejection.
  finished.catch(() => undefined);

  try {
    await interrupt.guard(connectWithFeedback(client, connection.debug, connection.reconnectOnceConnected));
    const codes = await interrupt.guard(client.subscribe(requests, connection.properties.subscribe));
    if (argv['retained-only'] && quiet === undefined && !over)
      quiet = setTimeout(() => settle(), RETAINED_QUIET_MS);
    const refused = codes
      .map((code, i) => ({ code, filter: requests[i]!.topicFilter }))
      .filter((c) => c.code >= 0x80);
    if (refused.length > 0) {
      const list = refused.map((r) => `'${r.filter}': ${reasonName(r.code)}`).join(', ');
      throw new RejectedError(`subscription refused: ${list}`, refused[0]!.code);
    }
    if (unsubscribe.length > 0) {
      const codes = await interrupt.guard(client.unsubscribe(unsubscribe, connection.properties.unsubscribe));
      const failed = codes.findIndex((code) => code >= 0x80);
      if (failed !== -1) {
        throw new RejectedError(
          `unsubscribe from '${unsubscribe[failed]}' refused: ${reasonName(codes[failed]!)}`,
          codes[failed]!,
        );
      }
    }
    // After a reconnect without a kept session the broker has forgotten the subscriptions.
    client.on('connect', (connack) => {
      if (!connack.sessionPresent)
        client.subscribe(requests, connection.properties.subscribe).catch(() => undefined);
    });
    if (!argv['exit-on-subscribe']) await interrupt.guard(finished);
    await client.end({ timeoutMs: END_WAIT_MS });
  } catch (err) {
    // -W, a refused subscription...: what was printed is still acknowledged completely.
    over = true;
    await client.end({ timeoutMs: END_WAIT_MS }).catch(() => undefined);
    throw err;
  } finally {
    clearTimeout(timer);
    clearTimeout(quiet);
    interrupt.dispose();
    if (out !== process.stdout) await new Promise<void>((resolve) => out.end(resolve));
  }
}

const command: CommandModule = {
  command: 'sub [filters..]',
  describe: 'subscribe and print messages (mosquitto_sub compatible flags)',
  builder: builder as CommandModule['builder'],
  handler: (argv) => handler(argv as unknown as SubArgv),
};

export default command;
