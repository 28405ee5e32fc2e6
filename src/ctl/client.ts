/**
 * `mqx ctl`'s side of the admin API: one HTTP request, its failures turned into mqx's exit codes
 * (README): the server unreachable 3, credentials refused 4, a timeout 5, a request the broker
 * would not carry out (no such client, not connected) 6, bad input 2.
 */
import {
  ConnectionError,
  MqxError,
  RefusedError,
  RejectedError,
  TimeoutError,
  UsageError,
} from '../errors.js';

export interface CtlTarget {
  url: string;
  username?: string;
  password?: string;
  timeoutMs: number;
}

/** The same header the dashboard sends: the server refuses changes without it (CSRF). */
const REQUEST_HEADER = 'X-MQX-Request';

export async function request(
  target: CtlTarget,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
): Promise<{ text: string; json: () => unknown }> {
  let base: URL;
  try {
    base = new URL(target.url);
  } catch {
    throw new UsageError(`--url: '${target.url}' is not a URL (http://HOST:PORT)`);
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:')
    throw new UsageError(`--url: expects http:// or https://, got '${target.url}'`);
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (target.username !== undefined)
    headers.Authorization = `Basic ${Buffer.from(`${target.username}:${target.password ?? ''}`).toString('base64')}`;
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    headers[REQUEST_HEADER] = '1';
  }
  let res: Response;
  try {
    res = await fetch(new URL(path, base), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(target.timeoutMs),
    });
  } catch (err) {
    if (err instanceof Error && err.name === 'TimeoutError')
      throw new TimeoutError(`${target.url}: no answer within ${target.timeoutMs / 1000} s`);
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new ConnectionError(`${target.url}: ${cause?.code ?? cause?.message ?? String(err)}`);
  }
  const text = await res.text();
  if (!res.ok) throw failure(res.status, text);
  return { text, json: () => JSON.parse(text) };
}

function failure(status: number, text: string): MqxError {
  let message = text.trim();
  try {
    message = (JSON.parse(text) as { error?: string }).error ?? message;
  } catch {
    // Not JSON (a proxy's page, say): the text as it came.
  }
  const line = `${status}: ${message}`;
  if (status === 401 || status === 403 || status === 429) return new RefusedError(line, status);
  if (status === 400 || status === 415) return new UsageError(line);
  if (status < 500) return new RejectedError(line, status);
  return new MqxError(line);
}
