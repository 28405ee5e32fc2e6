/**
 * GET /api/v1/systree: the $SYS/broker tree as one JSON object, as mosquitto 2.1's http_api
 * serves it: topic levels below `$SYS/broker` become nested keys, numeric values numbers. The
 * values published by the $SYS timer are taken as they are, and the counters read now replace
 * theirs, so the tree is current even with sys_interval 0.
 */
import type { Broker } from '../broker/broker.js';
import { VERSION } from '../version.js';
import type { Caller } from './auth.js';

type Tree = { [key: string]: Tree | number | string };

const PREFIX = '$SYS/broker/';

function put(tree: Tree, path: string, value: string): void {
  const levels = path.split('/');
  let node = tree;
  for (const level of levels.slice(0, -1)) {
    const next = node[level];
    if (typeof next === 'object') node = next;
    else node = node[level] = {};
  }
  const numeric = /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : undefined;
  const seconds = /^(\d+) seconds$/.exec(value);
  node[levels.at(-1)!] = numeric ?? (seconds ? Number(seconds[1]) : value);
}

export function systree(broker: Broker, caller: Caller): Tree {
  const tree: Tree = {};
  broker.retained.match(`${PREFIX}#`, (m) => {
    if (caller.canRead(m.topic)) put(tree, m.topic.slice(PREFIX.length), m.payload.toString('utf8'));
  });
  if (!caller.canRead(`${PREFIX}uptime`)) return tree;
  const s = broker.stats;
  const connected = broker.connectedCount;
  const live: Record<string, number | string> = {
    version: `mqx version ${VERSION}`,
    uptime: broker.uptimeSeconds,
    'clients/total': broker.sessions.size,
    'clients/connected': connected,
    'clients/disconnected': Math.max(0, broker.sessions.size - connected),
    'clients/expired': s.expiredSessions,
    'messages/received': s.messagesReceived,
    'messages/sent': s.messagesSent,
    'publish/messages/received': s.publishReceived,
    'publish/messages/sent': s.publishSent,
    'publish/messages/dropped': s.dropped,
    'bytes/received': s.bytesReceived,
    'bytes/sent': s.bytesSent,
    'subscriptions/count': broker.router.size,
    'retained messages/count': broker.retained.size,
  };
  for (const [path, value] of Object.entries(live)) put(tree, path, String(value));
  return tree;
}
