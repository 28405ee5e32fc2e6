/**
 * Checks every request passes before it reaches a route. Loopback is not a trust boundary: any
 * local user and any web page in a local browser can reach it. A page on another site may
 * resolve its own name to 127.0.0.1 (DNS rebinding), so on loopback the Host header must name
 * loopback; a page may also send requests here from its origin, so a foreign Origin is refused,
 * and a change needs a JSON body and a custom header, which a form or an image cannot send
 * and a script of another origin cannot add without a CORS preflight this server never grants.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError } from './http-error.js';

/** The header a mutating call must carry (any value); browsers only let same-origin scripts add it. */
export const REQUEST_HEADER = 'x-mqx-request';

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

export function isLoopback(host: string | undefined): boolean {
  return host === undefined ? false : host === 'localhost' || host === '::1' || host.startsWith('127.');
}

/** Sent with every response, errors included. */
export function setSecurityHeaders(res: ServerResponse): void {
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader(
    'Content-Security-Policy',
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  );
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
}

function hostname(hostHeader: string): string {
  if (hostHeader.startsWith('[')) return hostHeader.slice(0, hostHeader.indexOf(']') + 1);
  const colon = hostHeader.lastIndexOf(':');
  return (colon < 0 ? hostHeader : hostHeader.slice(0, colon)).toLowerCase();
}

/** Host and Origin, for every request. `loopbackOnly`: the listener is bound to loopback. */
export function checkOrigin(req: IncomingMessage, loopbackOnly: boolean, scheme: 'http' | 'https'): void {
  const host = req.headers.host;
  if (host === undefined || host === '') throw new HttpError(400, 'Host: the header is missing');
  if (loopbackOnly && !LOOPBACK_NAMES.has(hostname(host)))
    throw new HttpError(403, `Host: '${host}' is not a loopback name (DNS rebinding?)`);
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== `${scheme}://${host}`)
    throw new HttpError(403, `Origin: '${origin}' is not this server's origin`);
  if (req.headers['sec-fetch-site'] === 'cross-site')
    throw new HttpError(403, 'Sec-Fetch-Site: cross-site requests are refused');
}

/** What a mutating call must bring besides its credentials. */
export function checkMutation(req: IncomingMessage): void {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json')
    throw new HttpError(
      415,
      `Content-Type: a change needs an application/json body, got '${type || 'none'}'`,
    );
  if (req.headers[REQUEST_HEADER] === undefined)
    throw new HttpError(403, `${REQUEST_HEADER}: a change needs this header`);
}
