import { attachAdmin } from '../../src/admin/index.js';
import type { Broker } from '../../src/broker/broker.js';
import type { BrokerConfig, HttpApiSettings } from '../../src/config/broker-config.js';
import { startBroker } from './broker.js';

export interface AdminBroker {
  broker: Broker;
  /** The MQTT port. */
  port: number;
  /** http://127.0.0.1:PORT of the admin listener. */
  url: string;
  stop(): Promise<void>;
}

/** An in-process broker with the admin module attached on a free loopback port. */
export async function startAdminBroker(
  overrides: Partial<BrokerConfig> = {},
  http: Partial<HttpApiSettings> = {},
): Promise<AdminBroker> {
  const b = await startBroker(overrides);
  const settings: HttpApiSettings = {
    listeners: [{ port: 0, host: '127.0.0.1', protocol: 'http_api', maxConnections: 0 }],
    admins: [],
    ...http,
  };
  try {
    const admin = await attachAdmin(b.broker, settings);
    return {
      broker: b.broker,
      port: b.port,
      url: `http://127.0.0.1:${admin.ports[0]}`,
      stop: async () => {
        await admin.stop();
        await b.stop();
      },
    };
  } catch (err) {
    await b.stop();
    throw err;
  }
}

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests read whatever shape the route returns
  json: any;
}

/** One request; `json` is the parsed body when it is JSON. */
export async function call(url: string, path: string, init: RequestInit = {}): Promise<Answer> {
  const res = await fetch(`${url}${path}`, init);
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** A mutating call as the dashboard and `mqx ctl` make it. */
export function post(url: string, path: string, body: unknown, headers: Record<string, string> = {}) {
  return call(url, path, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-MQX-Request': '1', ...headers },
    body: JSON.stringify(body),
  });
}

export function basic(user: string, password: string): Record<string, string> {
  return { Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` };
}
