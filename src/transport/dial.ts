/**
 * Opening a connection to a broker: TCP, TLS or WebSocket (over TCP or TLS). node:tls and the ws
 * package are imported only when a URL needs them, so plain TCP starts faster.
 */
import { readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { ConnectionOptions, SecureVersion } from 'node:tls';
import { ConnectionError, UsageError } from '../errors.js';
import { StreamTransport, type Transport } from './transport.js';
import type { Scheme } from './url.js';

export interface TlsOptions {
  /** PEM file of trusted CA certificates (replaces the system store, like mosquitto's --cafile). */
  cafile?: string;
  /** Directory of PEM CA certificates. */
  capath?: string;
  cert?: string;
  key?: string;
  /** Skip the server certificate host name check (and chain check), as mosquitto's --insecure. */
  insecure?: boolean;
  /** tlsv1.2 or tlsv1.3 (mosquitto spelling); pins the version. */
  tlsVersion?: string;
  /** ALPN protocol names to offer; none by default. */
  alpn?: string[];
}

export interface DialOptions {
  scheme: Scheme;
  host: string;
  port: number;
  /** WebSocket path, ws(s) only. */
  wsPath?: string;
  tls?: TlsOptions;
  /** Gives up dialling (TCP + TLS handshake + WebSocket upgrade) after this many ms. */
  timeoutMs?: number;
}

const TLS_VERSIONS: Record<string, SecureVersion> = {
  'tlsv1.3': 'TLSv1.3',
  'tlsv1.2': 'TLSv1.2',
  'tlsv1.1': 'TLSv1.1',
};

function readFile(file: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new UsageError(`cannot read ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? err}`);
  }
}

/** Node's TLS options from mosquitto-style flags. Exported for tests. */
export function tlsConnectOptions(host: string, options: TlsOptions = {}): ConnectionOptions {
  const out: ConnectionOptions = { servername: net.isIP(host) ? undefined : host };
  const ca: Buffer[] = [];
  if (options.cafile) ca.push(readFile(options.cafile, 'CA file'));
  if (options.capath) {
    let names: string[];
    try {
      names = readdirSync(options.capath);
    } catch (err) {
      throw new UsageError(
        `cannot read CA directory ${options.capath}: ${(err as NodeJS.ErrnoException).code}`,
      );
    }
    for (const name of names.filter((n) => /\.(pem|crt|cer)$|\.\d+$/.test(n)).sort()) {
      ca.push(readFile(path.join(options.capath, name), 'CA file'));
    }
  }
  if (ca.length > 0) out.ca = ca;
  if (options.cert) out.cert = readFile(options.cert, 'certificate');
  if (options.key) out.key = readFile(options.key, 'key');
  if (options.cert && !options.key) throw new UsageError('--cert needs --key');
  if (options.insecure) {
    out.rejectUnauthorized = false;
    out.checkServerIdentity = () => undefined;
  }
  if (options.tlsVersion) {
    const v = TLS_VERSIONS[options.tlsVersion.toLowerCase()];
    if (!v)
      throw new UsageError(`unknown --tls-version "${options.tlsVersion}": use tlsv1.3, tlsv1.2 or tlsv1.1`);
    out.minVersion = v;
    out.maxVersion = v;
  }
  if (options.alpn && options.alpn.length > 0) out.ALPNProtocols = options.alpn;
  return out;
}

function describe(o: DialOptions): string {
  return `${o.scheme}://${o.host.includes(':') ? `[${o.host}]` : o.host}:${o.port}`;
}

function connectionError(o: DialOptions, err: Error): ConnectionError {
  // Node says "connect ECONNREFUSED 127.0.0.1:1"; the code and address are the useful part.
  return new ConnectionError(`cannot connect to ${describe(o)}: ${err.message.replace(/^connect /, '')}`);
}

/** Resolves once the connection is usable; rejects with ConnectionError (or UsageError for bad TLS files). */
export async function dial(o: DialOptions): Promise<Transport> {
  if (o.scheme === 'ws' || o.scheme === 'wss') return dialWebSocket(o);
  const tlsOpts = o.scheme === 'mqtts' ? tlsConnectOptions(o.host, o.tls) : undefined;
  const tls = tlsOpts ? await import('node:tls') : undefined;
  return new Promise<Transport>((resolve, reject) => {
    const socket = tls
      ? tls.connect({ ...tlsOpts, host: o.host, port: o.port })
      : net.connect({ host: o.host, port: o.port });
    socket.setNoDelay(true);
    const timer =
      o.timeoutMs !== undefined
        ? setTimeout(() => {
            socket.destroy();
            reject(
              new ConnectionError(`cannot connect to ${describe(o)}: timed out after ${o.timeoutMs} ms`),
            );
          }, o.timeoutMs)
        : undefined;
    const onError = (err: Error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(connectionError(o, err));
    };
    socket.once('error', onError);
    socket.once(tlsOpts ? 'secureConnect' : 'connect', () => {
      clearTimeout(timer);
      socket.off('error', onError);
      resolve(new StreamTransport(socket));
    });
  });
}

async function dialWebSocket(o: DialOptions): Promise<Transport> {
  const { WebSocket, createWebSocketStream } = await import('ws');
  const secure = o.scheme === 'wss';
  const host = o.host.includes(':') ? `[${o.host}]` : o.host;
  const url = `${secure ? 'wss' : 'ws'}://${host}:${o.port}${o.wsPath ?? '/mqtt'}`;
  const ws = new WebSocket(url, 'mqtt', {
    ...(secure ? tlsConnectOptions(o.host, o.tls) : {}),
    handshakeTimeout: o.timeoutMs,
    perMessageDeflate: false,
  });
  return new Promise<Transport>((resolve, reject) => {
    const onError = (err: Error) => {
      ws.terminate();
      reject(connectionError(o, err));
    };
    ws.once('error', onError);
    ws.once('open', () => {
      ws.off('error', onError);
      // The stream turns WebSocket messages into a byte stream; MQTT packets may span frames.
      const stream = createWebSocketStream(ws);
      resolve(new StreamTransport(stream));
    });
  });
}
