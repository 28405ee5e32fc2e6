/**
 * The links of a `mqx pub --simulate` run (run.ts) as MQTT clients: the command's connection
 * flags, its defaults (-q, -r, -D publish) for what a message does not say, --encode applied to
 * every payload the scenario makes (its will's too), and pub's pace of publishing (Publisher).
 */
import { Client } from '../client/client.js';
import type { ClientOptions } from '../client/options.js';
import { Publisher, type PublisherDefaults } from '../client/publisher.js';
import type { OpenLink, SimulatedMessage } from './run.js';

export interface ClientLinkOptions {
  /** The command's connection. A scenario's will replaces --will-* (prepareSimulation refuses both). */
  client: ClientOptions;
  defaults: PublisherDefaults;
  encode: ((payload: Buffer) => Buffer) | undefined;
  /** Counts what was published, for the summary at Ctrl-C. */
  sent: { count: number };
  /** Connects with the command's feedback (a spinner, the reconnect lines). */
  connect(client: Client): Promise<void>;
}

export function clientLinks(o: ClientLinkOptions): OpenLink {
  const bytes = (payload: Buffer | string) => (o.encode ? o.encode(Buffer.from(payload)) : payload);
  return async ({ will, n, onMessage }) => {
    const id = o.client.clientId;
    const client = new Client({
      ...o.client,
      // Several connections under one id would take each other's session over.
      ...(id && n !== undefined ? { clientId: `${id}-${n}` } : {}),
      ...(will
        ? {
            will: {
              topic: will.topic,
              payload: Buffer.from(bytes(will.payload)),
              qos: will.qos ?? o.defaults.qos,
              retain: will.retain ?? o.defaults.retain,
            },
          }
        : {}),
    });
    client.on('message', (p) =>
      onMessage({ topic: p.topic, payload: p.payload, qos: p.qos, retain: p.retain }),
    );
    try {
      await o.connect(client);
    } catch (err) {
      client.destroy();
      throw err;
    }
    const publisher = new Publisher(client, o.defaults, o.sent, 1000);
    return {
      send: (m: SimulatedMessage) =>
        publisher.send(m.topic, bytes(m.payload), {
          ...(m.qos !== undefined ? { qos: m.qos } : {}),
          ...(m.retain !== undefined ? { retain: m.retain } : {}),
        }),
      subscribe: (subscriptions) => client.subscribe(subscriptions),
      end: async (graceMs) => {
        if (graceMs !== undefined) return client.end({ timeoutMs: graceMs });
        await publisher.drain();
        await client.end();
      },
      destroy: () => client.destroy(),
    };
  };
}
