/**
 * The JSON routes under /api/v1/. Each gets the caller (auth.ts) and the request's query or
 * body, and returns what is sent as JSON; failures are HttpErrors.
 */
import type { Broker } from '../broker/broker.js';
import { Message } from '../broker/message.js';
import { ReasonCode } from '../protocol/reason-codes.js';
import { validateTopicFilter, validateTopicName } from '../topics/validate.js';
import type { Caller } from './auth.js';
import { badInput, HttpError } from './http-error.js';
import { systree } from './systree.js';
import {
  bridgeViews,
  clientView,
  connectionOf,
  retainedUnder,
  retainedView,
  sessionsById,
  subscriptionsUnder,
  subscriptionView,
} from './views.js';

export interface ApiRequest {
  readonly method: string;
  /** Path segments after /api/v1/, each percent-decoded. */
  readonly segments: readonly string[];
  readonly query: URLSearchParams;
  readonly body: Record<string, unknown> | undefined;
  readonly caller: Caller;
}

/** Routes that change the broker: they need admin rights, a JSON body and the custom header. */
export function isMutation(method: string): boolean {
  return method !== 'GET' && method !== 'HEAD';
}

const DEFAULT_LIMIT = 1000;
const MAX_LIMIT = 100_000;

type Route = (broker: Broker, req: ApiRequest, id: string) => unknown;

const ROUTES: Record<string, Record<string, Route>> = {
  clients: { GET: (b, r) => listClients(b, r) },
  'clients/:id': { GET: (b, _r, id) => oneClient(b, id) },
  'clients/:id/disconnect': { POST: (b, _r, id) => disconnect(b, id) },
  subscriptions: { GET: (b, r) => subscriptions(b, r) },
  retained: { GET: (b, r) => retained(b, r) },
  'retained/delete': { POST: (b, r) => deleteRetained(b, r) },
  publish: { POST: (b, r) => publish(b, r) },
  bridges: { GET: (b) => bridgeViews(b) },
  systree: { GET: (b, r) => systree(b, r.caller) },
};

export function handleApi(broker: Broker, req: ApiRequest): unknown {
  const segments = [...req.segments];
  const id = segments[0] === 'clients' && segments.length > 1 ? segments[1]! : '';
  if (id !== '') segments[1] = ':id';
  const path = segments.join('/');
  // Own properties only: a path such as 'constructor' must not find Object's.
  const methods = Object.hasOwn(ROUTES, path) ? ROUTES[path] : undefined;
  if (methods === undefined) throw new HttpError(404, 'no such resource');
  const route = Object.hasOwn(methods, req.method) ? methods[req.method] : undefined;
  if (route === undefined)
    throw new HttpError(405, `${req.method} is not allowed here; use ${Object.keys(methods).join(', ')}`, {
      Allow: Object.keys(methods).join(', '),
    });
  return route(broker, req, id);
}

function filterParam(value: string | null | undefined, field: string): string {
  if (value === null || value === undefined || value === '') return '#';
  const problem = validateTopicFilter(value);
  if (problem) throw badInput(field, problem);
  if (value.startsWith('$share/')) throw badInput(field, 'a shared subscription filter selects no topics');
  return value;
}

function limitParam(query: URLSearchParams): number {
  const raw = query.get('limit');
  if (raw === null) return DEFAULT_LIMIT;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > MAX_LIMIT)
    throw badInput('limit', `expects 1..${MAX_LIMIT}, got '${raw}'`);
  return n;
}

function listClients(broker: Broker, req: ApiRequest) {
  const limit = limitParam(req.query);
  const connected = req.query.get('connected');
  if (connected !== null && connected !== 'true' && connected !== 'false')
    throw badInput('connected', `expects true or false, got '${connected}'`);
  const wanted = connected === 'true';
  const { total, sessions } = sessionsById(
    broker,
    limit,
    connected === null ? undefined : (session) => session.connected === wanted,
  );
  return { total, clients: sessions.map(clientView) };
}

function sessionOf(broker: Broker, id: string) {
  const session = broker.sessions.get(id);
  if (session === undefined) throw new HttpError(404, `no client '${id}'`);
  return session;
}

function oneClient(broker: Broker, id: string) {
  const session = sessionOf(broker, id);
  return { ...clientView(session), subscriptions: [...session.subscriptions.values()].map(subscriptionView) };
}

function disconnect(broker: Broker, id: string) {
  const session = sessionOf(broker, id);
  const conn = connectionOf(session);
  if (conn === undefined) throw new HttpError(409, `client '${id}' is not connected`);
  broker.log.notice(`Client ${id} disconnected by the HTTP admin API.`);
  conn.disconnectWith(ReasonCode.AdministrativeAction, 'disconnected by the admin API');
  return { disconnected: id };
}

function subscriptions(broker: Broker, req: ApiRequest) {
  const filter = filterParam(req.query.get('filter'), 'filter');
  const limit = limitParam(req.query);
  const found = subscriptionsUnder(broker, filter, req.caller);
  return { total: found.length, subscriptions: found.slice(0, limit).map(subscriptionView) };
}

function retained(broker: Broker, req: ApiRequest) {
  const filter = filterParam(req.query.get('filter'), 'filter');
  const limit = limitParam(req.query);
  const found = retainedUnder(broker, filter, req.caller);
  const now = Date.now();
  return { total: found.length, retained: found.slice(0, limit).map((m) => retainedView(m, now)) };
}

function field<T>(body: Record<string, unknown> | undefined, name: string, type: string, fallback?: T): T {
  const value = body?.[name];
  if (value === undefined) {
    if (fallback === undefined) throw badInput(name, 'is required');
    return fallback;
  }
  if (typeof value !== type) throw badInput(name, `expects a ${type}, got ${JSON.stringify(value)}`);
  return value as T;
}

function deleteRetained(broker: Broker, req: ApiRequest) {
  const raw = field<string>(req.body, 'filter', 'string');
  if (raw === '') throw badInput('filter', 'is empty');
  const filter = filterParam(raw, 'filter');
  const dryRun = field<boolean>(req.body, 'dry_run', 'boolean', false);
  const found = retainedUnder(broker, filter, req.caller);
  const topics = found.map((m) => m.topic);
  if (!dryRun) {
    for (const topic of topics) {
      // An empty retained message clears the topic without being delivered to anyone.
      const clear = new Message(topic, Buffer.alloc(0), 0, true, undefined, 0, '', false);
      broker.retained.set(clear);
      broker.store.retained(clear);
    }
    broker.log.notice(`HTTP admin API deleted ${topics.length} retained messages under '${filter}'.`);
  }
  return { dry_run: dryRun, count: topics.length, topics };
}

function publish(broker: Broker, req: ApiRequest) {
  const topic = field<string>(req.body, 'topic', 'string');
  const problem = validateTopicName(topic);
  if (problem) throw badInput('topic', problem);
  const payload = field<string>(req.body, 'payload', 'string', '');
  const encoding = field<string>(req.body, 'encoding', 'string', 'utf8');
  if (encoding !== 'utf8' && encoding !== 'base64')
    throw badInput('encoding', `expects utf8 or base64, got '${encoding}'`);
  const qos = field<number>(req.body, 'qos', 'number', 0);
  if (qos !== 0 && qos !== 1 && qos !== 2) throw badInput('qos', `expects 0, 1 or 2, got ${qos}`);
  const retain = field<boolean>(req.body, 'retain', 'boolean', false);
  if (!req.caller.canWrite(topic))
    throw new HttpError(403, `topic: '${topic}' is not writable for this user (ACL)`);
  const message = new Message(topic, Buffer.from(payload, encoding), qos, retain, undefined, 0, '', false);
  return { topic, matched: broker.publish(message) };
}
