import { Redis } from 'ioredis';
import type { ClusterSettings } from '../config/broker-config.js';
import { ConnectionError } from '../errors.js';

export type { Redis };

/**
 * One connection to the cluster's Redis. Commands issued while Redis is unreachable wait in
 * the client's queue and go when it is back (maxRetriesPerRequest: null), so a node rides out a
 * Redis restart; commands of one event-loop turn go in one round trip (auto-pipelining).
 */
export function connectRedis(settings: ClusterSettings, role: string, nodeId: string): Redis {
  const password = settings.password ?? process.env.MQX_CLUSTER_PASSWORD;
  return new Redis(settings.url, {
    ...(password !== undefined && !/^[a-z]+:\/\/[^/]*:[^/]*@/i.test(settings.url) ? { password } : {}),
    connectionName: `mqx-${nodeId}-${role}`,
    maxRetriesPerRequest: null,
    enableAutoPipelining: true,
    retryStrategy: (attempt) => Math.min(100 * attempt, 2000),
    lazyConnect: true,
  });
}

/**
 * Resolves once the connection is up. At start-up a Redis that cannot be reached, or refuses the
 * password, fails the broker's start with one clear line rather than retrying forever.
 */
export async function openRedis(client: Redis, url: string): Promise<void> {
  let failure: Error | undefined;
  const onError = (err: Error) => {
    failure ??= err;
  };
  client.on('error', onError);
  try {
    await Promise.race([
      client.connect().then(() => client.ping()),
      new Promise((_, reject) => setTimeout(() => reject(failure ?? new Error('timed out')), 5000).unref()),
    ]);
  } catch (err) {
    client.disconnect();
    throw new ConnectionError(
      `cannot reach the cluster's Redis at ${redactUrl(url)}: ${(failure ?? (err as Error)).message}`,
    );
  } finally {
    client.off('error', onError);
  }
}

export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]*):[^@/]*@/, '//$1:***@');
}
