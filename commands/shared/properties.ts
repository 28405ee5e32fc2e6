/**
 * MQTT 5.0 properties from mosquitto's `-D command identifier value` syntax, e.g.
 * `-D publish user-property key value`, `-D connect session-expiry-interval 60`.
 * The tokens arrive flattened (yargs collects every -D into one list); the parser walks them by
 * the arity of each identifier and hands back tokens that belong to no -D (a positional that
 * followed the last one).
 */
import { suggestion } from '../../src/config/values.js';
import { UsageError } from '../../src/errors.js';
import type { Properties } from '../../src/protocol/types.js';

export type PropertyCommand = 'connect' | 'publish' | 'subscribe' | 'unsubscribe' | 'disconnect' | 'will';

export type CommandProperties = Partial<Record<PropertyCommand, Properties>>;

type Kind = 'byte' | 'u16' | 'u32' | 'varint' | 'string' | 'binary' | 'pair';

interface Spec {
  key: keyof Properties;
  kind: Kind;
  commands: PropertyCommand[];
}

const SPECS: Record<string, Spec> = {
  'payload-format-indicator': { key: 'payloadFormatIndicator', kind: 'byte', commands: ['publish', 'will'] },
  'message-expiry-interval': { key: 'messageExpiryInterval', kind: 'u32', commands: ['publish', 'will'] },
  'content-type': { key: 'contentType', kind: 'string', commands: ['publish', 'will'] },
  'response-topic': { key: 'responseTopic', kind: 'string', commands: ['publish', 'will'] },
  'correlation-data': { key: 'correlationData', kind: 'binary', commands: ['publish', 'will'] },
  'subscription-identifier': { key: 'subscriptionIdentifiers', kind: 'varint', commands: ['subscribe'] },
  'session-expiry-interval': {
    key: 'sessionExpiryInterval',
    kind: 'u32',
    commands: ['connect', 'disconnect'],
  },
  'will-delay-interval': { key: 'willDelayInterval', kind: 'u32', commands: ['will'] },
  'request-problem-information': { key: 'requestProblemInformation', kind: 'byte', commands: ['connect'] },
  'request-response-information': { key: 'requestResponseInformation', kind: 'byte', commands: ['connect'] },
  'reason-string': { key: 'reasonString', kind: 'string', commands: ['disconnect'] },
  'receive-maximum': { key: 'receiveMaximum', kind: 'u16', commands: ['connect'] },
  'topic-alias-maximum': { key: 'topicAliasMaximum', kind: 'u16', commands: ['connect'] },
  'topic-alias': { key: 'topicAlias', kind: 'u16', commands: ['publish'] },
  'maximum-packet-size': { key: 'maximumPacketSize', kind: 'u32', commands: ['connect'] },
  'user-property': {
    key: 'userProperties',
    kind: 'pair',
    commands: ['connect', 'publish', 'subscribe', 'unsubscribe', 'disconnect', 'will'],
  },
};

const COMMANDS = new Set<string>(['connect', 'publish', 'subscribe', 'unsubscribe', 'disconnect', 'will']);

const MAX: Partial<Record<Kind, number>> = { byte: 0xff, u16: 0xffff, u32: 0xffffffff, varint: 268_435_455 };

function integer(text: string, kind: Kind, identifier: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n > MAX[kind]! || (kind === 'varint' && n === 0)) {
    throw new UsageError(`-D ${identifier}: "${text}" is not an integer in range (max ${MAX[kind]})`);
  }
  return n;
}

/** Parses flattened -D tokens. `rest` holds tokens that followed a complete property and start none. */
export function parseProperties(tokens: string[]): { properties: CommandProperties; rest: string[] } {
  const properties: CommandProperties = {};
  let i = 0;
  while (i < tokens.length) {
    const command = tokens[i]!;
    if (!COMMANDS.has(command)) {
      if (i === 0)
        throw new UsageError(
          `-D: unknown command "${command}" (connect, publish, subscribe, unsubscribe, disconnect, will)`,
        );
      break;
    }
    const identifier = tokens[i + 1];
    if (identifier === undefined) throw new UsageError(`-D ${command}: missing property identifier`);
    const spec = SPECS[identifier];
    if (!spec)
      throw new UsageError(
        `-D ${command}: unknown property "${identifier}"${suggestion(identifier, Object.keys(SPECS))}`,
      );
    if (!spec.commands.includes(command as PropertyCommand)) {
      throw new UsageError(`-D: property "${identifier}" is not allowed on ${command}`);
    }
    const arity = spec.kind === 'pair' ? 2 : 1;
    const values = tokens.slice(i + 2, i + 2 + arity);
    if (values.length < arity) throw new UsageError(`-D ${command} ${identifier}: missing value`);
    const key = command as PropertyCommand;
    properties[key] = properties[key] ?? {};
    const target = properties[key] as Record<string, unknown>;
    const [a, b] = values as [string, string];
    switch (spec.kind) {
      case 'pair':
        target.userProperties = [...((target.userProperties as Array<[string, string]>) ?? []), [a, b]];
        break;
      case 'string':
        target[spec.key] = a;
        break;
      case 'binary':
        target[spec.key] = Buffer.from(a);
        break;
      case 'varint':
        target[spec.key] = [integer(a, spec.kind, identifier)];
        break;
      default:
        target[spec.key] = integer(a, spec.kind, identifier);
    }
    i += 2 + arity;
  }
  return { properties, rest: tokens.slice(i) };
}
