/**
 * A lab file: brokers by name, bridges between them, publishers and subscribers, in YAML, JSON or
 * JS. Checked with the same strict validator as mqx's own config (src/config/schema.ts); the JSON
 * Schema shipped in schemas/lab.schema.json is generated from LAB_SPEC (json-schema.ts), so the
 * two cannot drift. Names stand for brokers everywhere, so a lab file never repeats a port.
 */
import { readFileSync } from 'node:fs';
import { dirname, extname, isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseTopicTokens } from '../config/bridge-rules.js';
import type { BridgeTopicRule } from '../config/broker-config.js';
import { type Spec, validate } from '../config/schema.js';
import { ConfigError } from '../errors.js';

export interface LabBroker {
  name: string;
  /** undefined: the config file's listeners decide; 0: a free port, picked at start ('auto'). */
  port: number | undefined;
  /** A mosquitto.conf (used unchanged on disk) or an mqx config file (.json, .yaml, .js). */
  config?: string;
}

export interface LabBridge {
  name: string;
  /** The bridge runs in this broker and dials `to`. */
  from: string;
  to: string;
  rules: BridgeTopicRule[];
  /** The rules as written, for messages. */
  ruleText: string[];
  protocol: 'mqttv311' | 'mqttv50';
  /** Run by `mqx up` as a client of both brokers (mqx bridge), not inside `from`. */
  standalone: boolean;
}

export interface LabPublisher {
  name: string;
  broker: string;
  topic: string;
  qos: 0 | 1 | 2;
  /** Seconds between messages. */
  interval: number;
  simulate?: 'temperature' | 'humidity';
  payload?: string;
  format: 'text' | 'json';
  retain: boolean;
}

export interface LabSubscriber {
  name: string;
  broker: string;
  filters: string[];
  qos: 0 | 1 | 2;
  expect?: { topics: string[]; min: number };
}

export interface Lab {
  /** Where it was read from, for messages ('example NAME' for the built-in ones). */
  source: string;
  brokers: LabBroker[];
  bridges: LabBridge[];
  publishers: LabPublisher[];
  subscribers: LabSubscriber[];
}

const str: Spec = { t: 'string' };
const qos: Spec = { t: 'int', min: 0, max: 2 };
const name: Spec = { t: 'string' };
const strings: Spec = { t: 'oneOf', of: [str, { t: 'array', of: str }], describe: 'a string or a list' };

export const LAB_SPEC: Spec = {
  t: 'object',
  required: ['brokers'],
  fields: {
    $schema: str,
    brokers: {
      t: 'record',
      of: {
        t: 'object',
        fields: {
          port: {
            t: 'oneOf',
            of: [
              { t: 'int', min: 1, max: 65535 },
              { t: 'enum', values: ['auto'] },
            ],
            describe: 'a port (1..65535) or auto',
          },
          config: { t: 'path' },
        },
      },
    },
    bridges: {
      t: 'array',
      of: {
        t: 'object',
        required: ['from', 'to', 'topic'],
        fields: {
          name,
          from: name,
          to: name,
          topic: strings,
          protocol: { t: 'enum', values: ['mqttv311', 'mqttv50'] },
          standalone: { t: 'bool' },
        },
      },
    },
    publishers: {
      t: 'array',
      of: {
        t: 'object',
        required: ['broker', 'topic'],
        fields: {
          name,
          broker: name,
          topic: str,
          qos,
          interval: { t: 'int', min: 1, max: 86400 },
          simulate: { t: 'enum', values: ['temperature', 'humidity', 'auto'] },
          payload: str,
          format: { t: 'enum', values: ['text', 'json'] },
          retain: { t: 'bool' },
        },
      },
    },
    subscribers: {
      t: 'array',
      of: {
        t: 'object',
        required: ['broker', 'filter'],
        fields: {
          name,
          broker: name,
          filter: strings,
          qos,
          expect: {
            t: 'object',
            fields: { topics: { t: 'array', of: str }, min: { t: 'int', min: 0, max: 1_000_000 } },
          },
        },
      },
    },
  },
};

interface RawLab {
  brokers: Record<string, { port?: number | 'auto'; config?: string }>;
  bridges?: Array<{
    name?: string;
    from: string;
    to: string;
    topic: string | string[];
    protocol?: string;
    standalone?: boolean;
  }>;
  publishers?: Array<{
    name?: string;
    broker: string;
    topic: string;
    qos?: number;
    interval?: number;
    simulate?: string;
    payload?: string;
    format?: string;
    retain?: boolean;
  }>;
  subscribers?: Array<{
    name?: string;
    broker: string;
    filter: string | string[];
    qos?: number;
    expect?: { topics?: string[]; min?: number };
  }>;
}

const list = (v: string | string[]): string[] => (Array.isArray(v) ? v : [v]);

/** Validates a lab's content; `file` names it in errors, `base` resolves its relative paths. */
export function parseLab(content: unknown, file: string, base: string): Lab {
  const raw = validate(content, LAB_SPEC, '', {
    file,
    mapPath: (p) => (isAbsolute(p) ? p : resolve(base, p)),
  }) as RawLab;
  const names = Object.keys(raw.brokers);
  if (names.length === 0) throw new ConfigError(`${file}: brokers: a lab needs at least one broker`);
  const known = (where: string, broker: string) => {
    if (!names.includes(broker))
      throw new ConfigError(`${file}: ${where}: no broker named '${broker}' (brokers: ${names.join(', ')})`);
    return broker;
  };
  const brokers = names.map((n) => {
    const b = raw.brokers[n]!;
    if (b.port === undefined && b.config === undefined)
      throw new ConfigError(`${file}: brokers.${n}: needs a port (or auto) or a config file`);
    const port = b.port === 'auto' ? 0 : b.port;
    return b.config === undefined ? { name: n, port } : { name: n, port, config: b.config };
  });
  const bridges = (raw.bridges ?? []).map((b, i) => {
    const where = `bridges[${i}]`;
    known(`${where}.from`, b.from);
    known(`${where}.to`, b.to);
    if (b.from === b.to) throw new ConfigError(`${file}: ${where}: a bridge joins two different brokers`);
    const ruleText = list(b.topic);
    const rules = ruleText.map((t, j) =>
      parseTopicTokens(`${file}: ${where}.topic[${j}]`, t.trim().split(/\s+/)),
    );
    return {
      name: b.name ?? `${b.from}-${b.to}`,
      from: b.from,
      to: b.to,
      rules,
      ruleText,
      protocol: (b.protocol ?? 'mqttv50') as LabBridge['protocol'],
      standalone: b.standalone ?? false,
    };
  });
  const publishers = (raw.publishers ?? []).map((p, i) => {
    known(`publishers[${i}].broker`, p.broker);
    if ((p.simulate === undefined) === (p.payload === undefined))
      throw new ConfigError(`${file}: publishers[${i}]: give either 'simulate' or 'payload'`);
    const simulate = p.simulate === 'auto' ? (/hum/i.test(p.topic) ? 'humidity' : 'temperature') : p.simulate;
    const publisher: LabPublisher = {
      name: p.name ?? `pub-${i + 1}`,
      broker: p.broker,
      topic: p.topic,
      qos: (p.qos ?? 0) as 0 | 1 | 2,
      interval: p.interval ?? 1,
      format: (p.format ?? 'text') as 'text' | 'json',
      retain: p.retain ?? false,
    };
    if (simulate !== undefined) publisher.simulate = simulate as 'temperature' | 'humidity';
    if (p.payload !== undefined) publisher.payload = p.payload;
    return publisher;
  });
  const subscribers = (raw.subscribers ?? []).map((s, i) => {
    known(`subscribers[${i}].broker`, s.broker);
    const subscriber: LabSubscriber = {
      name: s.name ?? `sub-${i + 1}`,
      broker: s.broker,
      filters: list(s.filter),
      qos: (s.qos ?? 0) as 0 | 1 | 2,
    };
    if (s.expect !== undefined) subscriber.expect = { topics: s.expect.topics ?? [], min: s.expect.min ?? 1 };
    return subscriber;
  });
  return { source: file, brokers, bridges, publishers, subscribers };
}

/** Reads a lab file: .json, .yaml/.yml, or a JS module whose default export is the lab. */
export async function loadLabFile(file: string): Promise<Lab> {
  const path = resolve(file);
  const ext = extname(path).toLowerCase();
  let content: unknown;
  try {
    if (['.js', '.mjs', '.cjs'].includes(ext)) {
      const module = (await import(pathToFileURL(path).href)) as { default?: unknown };
      content = module.default;
    } else {
      const text = readFileSync(path, 'utf8');
      if (ext === '.json') content = JSON.parse(text);
      else {
        const { defaultLoadersSync } = await import('cosmiconfig');
        content = defaultLoadersSync['.yaml']!(path, text);
      }
    }
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'ENOENT' ? 'cannot read the file: ENOENT' : String(err.message).split('\n')[0];
    throw new ConfigError(`${file}: ${why}`);
  }
  return parseLab(content, file, dirname(path));
}
