/** `mqx ctl ACTION [ARGS]`: which request each action makes, and how its answer is printed. */

import type { ClientView } from '../admin/views.js';
import { UsageError } from '../errors.js';
import { type CtlTarget, request } from './client.js';
import { type Cell, formatTable } from './table.js';

export interface CtlOptions {
  action: string;
  args: string[];
  json: boolean;
  dryRun: boolean;
  topic?: string;
  message?: string;
  qos: number;
  retain: boolean;
}

export interface CtlOutput {
  write(text: string): void;
  readonly isTTY: boolean;
}

type ClientRow = Omit<ClientView, 'bridge'>;

interface SubscriptionRow {
  client: string;
  filter: string;
  qos: number;
}

export const ACTIONS = [
  'clients',
  'client',
  'kick',
  'subs',
  'retained',
  'bridges',
  'publish',
  'metrics',
] as const;

const q = encodeURIComponent;

export async function runCtl(target: CtlTarget, o: CtlOptions, out: CtlOutput): Promise<void> {
  const [first, second] = o.args;
  const table = (headers: string[], rows: Cell[][]) => out.write(formatTable(headers, rows, out.isTTY));
  const get = (path: string) => request(target, 'GET', path);
  const post = (path: string, body: unknown) => request(target, 'POST', path, body);
  const print = async (
    answer: Promise<{ text: string; json: () => unknown }>,
    human: (value: never) => void,
  ) => {
    const res = await answer;
    if (o.json) out.write(res.text.endsWith('\n') ? res.text : `${res.text}\n`);
    else human(res.json() as never);
  };
  switch (o.action) {
    case 'clients':
      return print(get('api/v1/clients?limit=100000'), (v: { clients: ClientRow[] }) =>
        table(
          ['ID', 'CONNECTED', 'ADDRESS', 'PROTOCOL', 'KEEPALIVE', 'INFLIGHT', 'QUEUED', 'USERNAME'],
          v.clients.map((c) => [
            c.id,
            c.connected,
            c.address,
            c.protocol,
            c.keepalive,
            c.inflight,
            c.queued,
            c.username,
          ]),
        ),
      );
    case 'client':
      return print(
        get(`api/v1/clients/${q(need(first, 'client ID'))}`),
        (c: ClientRow & { subscriptions: SubscriptionRow[] }) => {
          table(
            ['FIELD', 'VALUE'],
            Object.entries(c)
              .filter(([k]) => k !== 'subscriptions')
              .map(([k, v]) => [k, v as Cell]),
          );
          if (c.subscriptions.length > 0) {
            out.write('\n');
            table(
              ['FILTER', 'QOS'],
              c.subscriptions.map((s) => [s.filter, s.qos]),
            );
          }
        },
      );
    case 'kick':
      return print(
        post(`api/v1/clients/${q(need(first, 'kick ID'))}/disconnect`, {}),
        (v: { disconnected: string }) => out.write(`disconnected ${v.disconnected}\n`),
      );
    case 'subs':
      return print(
        get(`api/v1/subscriptions?limit=100000&filter=${q(first ?? '#')}`),
        (v: { subscriptions: SubscriptionRow[] }) =>
          table(
            ['CLIENT', 'FILTER', 'QOS'],
            v.subscriptions.map((s) => [s.client, s.filter, s.qos]),
          ),
      );
    case 'retained':
      if (first === 'rm') {
        const filter = need(second, 'retained rm FILTER');
        return print(
          post('api/v1/retained/delete', { filter, dry_run: o.dryRun }),
          (v: { count: number; topics: string[] }) => {
            for (const topic of v.topics) out.write(`${topic}\n`);
            out.write(`${o.dryRun ? 'would delete' : 'deleted'} ${v.count} retained messages\n`);
          },
        );
      }
      return print(
        get(`api/v1/retained?limit=100000&filter=${q(first ?? '#')}`),
        (v: {
          retained: {
            topic: string;
            size: number;
            qos: number;
            age_seconds: number;
            payload_preview: string;
          }[];
        }) =>
          table(
            ['TOPIC', 'SIZE', 'QOS', 'AGE', 'PAYLOAD'],
            v.retained.map((m) => [m.topic, m.size, m.qos, `${m.age_seconds}s`, m.payload_preview]),
          ),
      );
    case 'bridges':
      return print(
        get('api/v1/bridges'),
        (
          v: {
            name: string;
            state: string;
            addresses: string[];
            messages_in: number;
            messages_out: number;
            queued: number;
          }[],
        ) =>
          table(
            ['NAME', 'STATE', 'ADDRESSES', 'IN', 'OUT', 'QUEUED'],
            v.map((b) => [b.name, b.state, b.addresses.join(','), b.messages_in, b.messages_out, b.queued]),
          ),
      );
    case 'publish': {
      if (o.topic === undefined) throw new UsageError('publish needs -t TOPIC');
      const body = { topic: o.topic, payload: o.message ?? '', qos: o.qos, retain: o.retain };
      return print(post('api/v1/publish', body), (v: { matched: number }) =>
        out.write(`published to ${o.topic} (${v.matched} matching subscriptions)\n`),
      );
    }
    case 'metrics':
      out.write((await get('metrics')).text);
      return;
    default:
      throw new UsageError(`unknown action '${o.action}'; expected one of ${ACTIONS.join(', ')}`);
  }
}

function need(value: string | undefined, what: string): string {
  if (value === undefined || value === '') throw new UsageError(`missing argument: mqx ctl ${what}`);
  return value;
}
