/**
 * See and steer a running broker over HTTP: /metrics for Prometheus, the JSON API under /api/v1/,
 * server-sent events and the dashboard at /. Node's http module rather than a framework: there
 * are a handful of routes, and a framework would be one more thing to load, audit and keep up
 * to date. The module is imported only when an http_api listener or --http is configured, so
 * a broker without one never reads any of it; src/broker knows nothing of it.
 */
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Broker } from '../broker/broker.js';
import { tlsContextOptions } from '../broker/listeners.js';
import type { HttpApiSettings, ListenerConfig } from '../config/broker-config.js';
import { ConfigError } from '../errors.js';
import { handleApi, isMutation } from './api.js';
import { AdminAuth, type Caller } from './auth.js';
import { EventStreams } from './events.js';
import { HttpError } from './http-error.js';
import { renderMetrics } from './metrics.js';
import { checkMutation, checkOrigin, isLoopback, setSecurityHeaders } from './security.js';
import { staticFile } from './static-files.js';

export interface AdminHandle {
  /** Bound ports, in the order of settings.listeners. */
  readonly ports: number[];
  stop(): Promise<void>;
}

/** A JSON body larger than this is refused: no route needs more than a message to publish. */
const MAX_BODY = 1024 * 1024;

export async function attachAdmin(broker: Broker, settings: HttpApiSettings): Promise<AdminHandle> {
  const events = new EventStreams(broker);
  const servers: Server[] = [];
  const ports: number[] = [];
  try {
    for (const listener of settings.listeners) {
      const security =
        (broker.config.perListenerSettings ? listener.security : undefined) ?? broker.config.security;
      const loopback = isLoopback(listener.host);
      const where = listener.origin ?? `--http ${listener.host ?? ''}:${listener.port}`;
      if (!loopback && security.passwordFile === undefined)
        throw new ConfigError(
          `${where}: the HTTP admin listener on ${listener.host ?? 'every address'} needs a password_file (only loopback may go without)`,
        );
      const auth = await AdminAuth.open(security, settings.admins, broker.log);
      const scheme = listener.tls?.certfile !== undefined ? 'https' : 'http';
      const handler = (req: IncomingMessage, res: ServerResponse) =>
        void serve(broker, events, auth, loopback, scheme, req, res);
      const server =
        scheme === 'https'
          ? createHttpsServer(tlsContextOptions(listener.tls!), handler)
          : createHttpServer(handler);
      ports.push(await listen(server, listener));
      servers.push(server);
      broker.log.notice(
        `Opening http_api listen socket on ${listener.host ?? '*'}:${ports.at(-1)} (${scheme}${auth.required ? ', password file' : ''}).`,
      );
    }
  } catch (err) {
    await Promise.all(servers.map(close));
    throw err;
  }
  return {
    ports,
    async stop() {
      events.close();
      await Promise.all(servers.map(close));
    },
  };
}

function listen(server: Server, listener: ListenerConfig): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(listener.port, listener.host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

async function serve(
  broker: Broker,
  events: EventStreams,
  auth: AdminAuth,
  loopback: boolean,
  scheme: 'http' | 'https',
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  setSecurityHeaders(res);
  try {
    checkOrigin(req, loopback, scheme);
    const caller = await auth.authenticate(req);
    const url = new URL(req.url ?? '/', 'http://admin');
    const method = req.method ?? 'GET';
    if (url.pathname.startsWith('/api/v1/')) {
      const segments = url.pathname.slice('/api/v1/'.length).split('/').map(decodeSegment);
      if (segments.length === 1 && segments[0] === 'events' && method === 'GET') {
        events.open(res);
        return;
      }
      let body: Record<string, unknown> | undefined;
      if (isMutation(method)) {
        checkMutation(req);
        if (!caller.admin) auth.refuse(caller, req);
        body = await readJson(req);
      }
      sendJson(res, 200, handleApi(broker, { method, segments, query: url.searchParams, body, caller }));
      return;
    }
    if (method !== 'GET' && method !== 'HEAD') throw new HttpError(405, `${method} is not allowed here`);
    if (url.pathname === '/metrics') {
      send(res, 200, 'text/plain; version=0.0.4; charset=utf-8', await metricsFor(broker, caller));
      return;
    }
    const file = await staticFile(url.pathname);
    if (file === undefined) throw new HttpError(404, 'no such resource');
    send(res, 200, file.type, file.body);
  } catch (err) {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (err instanceof HttpError) {
      for (const [k, v] of Object.entries(err.headers)) res.setHeader(k, v);
      sendJson(res, err.status, { error: err.message, status: err.status });
      return;
    }
    broker.log.error(
      `HTTP admin: ${req.method} ${req.url} failed: ${err instanceof Error ? err.stack : String(err)}`,
    );
    sendJson(res, 500, { error: 'internal error', status: 500 });
  }
}

/** Metrics name no client or topic, but a user whom the ACL restricts reads them only as admin. */
function metricsFor(broker: Broker, caller: Caller): Promise<string> {
  if (!caller.admin && !caller.canRead('$SYS/broker/uptime'))
    throw new HttpError(403, `user '${caller.user}' may not read $SYS, nor the metrics`);
  return renderMetrics(broker);
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, `path: '${segment}' is not valid percent-encoding`);
  }
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new HttpError(413, `body: larger than ${MAX_BODY} bytes`);
    chunks.push(chunk);
  }
  let value: unknown;
  try {
    value = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, 'body: not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new HttpError(400, 'body: expects a JSON object');
  return value as Record<string, unknown>;
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, 'application/json; charset=utf-8', `${JSON.stringify(value)}\n`);
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer): void {
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}
