import { readdirSync, readFileSync, rmSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { type Duplex, Writable } from 'node:stream';
import type tls from 'node:tls';
import type { ListenerConfig, TlsSettings } from '../config/broker-config.js';
import { type Peer, type Remote, remoteOf } from './connection.js';
import type { BrokerLog } from './log.js';
import { fileError, listenError } from './startup-errors.js';

export interface Listener {
  readonly port: number;
  close(): Promise<void>;
  /** Re-reads certificate files (SIGHUP); new connections use them. */
  reloadTls(): void;
}

type Accept = (socket: Duplex, peer: Peer, remote: Remote | undefined) => void;

const TLS_VERSIONS: Record<string, tls.SecureVersion> = {
  'tlsv1.1': 'TLSv1.1',
  'tlsv1.2': 'TLSv1.2',
  'tlsv1.3': 'TLSv1.3',
};

/** A certificate or key file named by `directive`; one line naming both when it cannot be read. */
function readTlsFile(directive: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw fileError(directive, file, err);
  }
}

/** Node TLS context options from mosquitto's listener TLS settings. */
export function tlsContextOptions(settings: TlsSettings): tls.SecureContextOptions & tls.TlsOptions {
  const options: tls.SecureContextOptions & tls.TlsOptions = {
    cert: settings.certfile ? readTlsFile('certfile', settings.certfile) : undefined,
    key: settings.keyfile ? readTlsFile('keyfile', settings.keyfile) : undefined,
    passphrase: settings.keyPassword,
    requestCert:
      settings.requireCertificate || settings.useIdentityAsUsername || settings.useSubjectAsUsername,
    rejectUnauthorized: settings.requireCertificate,
    minVersion: settings.tlsVersion ? TLS_VERSIONS[settings.tlsVersion] : 'TLSv1.2',
    ciphers: settings.ciphers,
  };
  const ca: Buffer[] = [];
  if (settings.cafile) ca.push(readTlsFile('cafile', settings.cafile));
  if (settings.capath) {
    for (const name of readdirCerts(settings.capath)) ca.push(readTlsFile('capath', name));
  }
  if (ca.length > 0) options.ca = ca;
  if (settings.crlfile) options.crl = readTlsFile('crlfile', settings.crlfile);
  return options;
}

/** capath holds CA certificates one per file, as OpenSSL's c_rehash leaves them. */
function readdirCerts(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    throw fileError('capath', dir, err);
  }
  return names.filter((n) => /\.(pem|crt|\d+)$/.test(n)).map((n) => path.join(dir, n));
}

/** The username a verified client certificate stands for (use_identity_as_username / use_subject_as_username). */
function certificateUsername(socket: tls.TLSSocket, settings: TlsSettings): string | undefined {
  const cert = socket.getPeerCertificate();
  if (!cert || Object.keys(cert).length === 0) return undefined;
  if (settings.useIdentityAsUsername) {
    const cn = cert.subject?.CN;
    return Array.isArray(cn) ? cn[0] : cn;
  }
  if (settings.useSubjectAsUsername) {
    // mosquitto writes the subject in RFC 2253 order: most specific element first.
    return Object.entries(cert.subject ?? {})
      .reverse()
      .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : v}`)
      .join(',');
  }
  return undefined;
}

function listen(
  server: net.Server,
  where: string | net.ListenOptions,
  config: ListenerConfig,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(listenError(err, config) ?? err));
    server.listen(where, () => resolve());
  });
}

/** Whether this machine has an IPv6 loopback address to listen on. */
function hasIpv6Loopback(): boolean {
  return Object.values(os.networkInterfaces()).some((addresses) =>
    addresses?.some((a) => a.family === 'IPv6' && a.internal && a.address === '::1'),
  );
}

/**
 * The ::1 half of the local-only default listener, on the port the 127.0.0.1 half got. A machine
 * without IPv6 just has no such half; a port someone holds on ::1 alone is worth a warning, not
 * a broker that does not start.
 */
async function listenIpv6Loopback(
  port: number,
  onTcp: (socket: net.Socket) => void,
  log: BrokerLog,
): Promise<net.Server | undefined> {
  if (!hasIpv6Loopback()) return undefined;
  const server = net.createServer({ noDelay: true }, onTcp);
  try {
    await listen(
      server,
      { port, host: '::1', ipv6Only: true },
      { port, host: '::1', protocol: 'mqtt', maxConnections: 0 },
    );
  } catch (err) {
    log.warning(`Not listening on [::1]:${port}: ${err instanceof Error ? err.message : String(err)}`);
    return undefined;
  }
  log.notice(`Opening ipv6 listen socket on port ${port}.`);
  return server;
}

/**
 * Every socket's WritableState gains one property at its first write (Node keeps the write's
 * callback). V8 sizes the objects of a constructor by the first few it makes: when those belong
 * to a burst of accepted sockets, none of which has written yet, the property ends up outside the
 * object, in an array of its own costing each connection after 40 bytes (measured in a heap
 * snapshot of 10,000 idle connections). One write to a stream of our own before the first socket
 * makes it part of the object (the log writes with writeSync, so no stream of the broker's has).
 * The stream is kept: a full collection forgets a layout no live object has, before sockets.
 */
let layoutWriter: Writable | undefined;
function settleWritableLayout(): void {
  if (layoutWriter !== undefined) return;
  layoutWriter = new Writable({ write: (_chunk, _encoding, done) => done() });
  layoutWriter.write(Buffer.alloc(0));
}

/**
 * Opens one listener of any kind: TCP, TLS, WebSocket (ws or wss) or a unix socket. Its
 * connections get `peer`, whose port becomes the one bound.
 */
export async function openListener(
  config: ListenerConfig,
  peer: Peer,
  log: BrokerLog,
  accept: Accept,
): Promise<Listener> {
  settleWritableLayout();
  const secure = config.tls?.certfile !== undefined && config.tls.keyfile !== undefined;
  let tlsOptions = secure ? tlsContextOptions(config.tls!) : undefined;
  // Loaded only for a listener that needs them: node:tls, node:http and node:https cost a process
  // about 2.4 MB of memory.
  const tlsModule = secure ? await import('node:tls') : undefined;
  let boundPort = config.port;
  /** A TLS socket's remote end, with the username its certificate gives; undefined for plain TCP. */
  const remoteWithCertificate = (socket: net.Socket): Remote | undefined =>
    tlsModule && socket instanceof tlsModule.TLSSocket && config.tls
      ? { ...remoteOf(socket), certificateUsername: certificateUsername(socket, config.tls) }
      : undefined;

  // Nagle's algorithm is off from accept on, for every kind of listener (the servers' noDelay,
  // cheaper than a call per socket).
  const onTcp = (socket: net.Socket) => accept(socket, peer, remoteWithCertificate(socket));

  let server: net.Server;
  let wsClose: (() => void) | undefined;
  if (config.protocol === 'websockets') {
    const { WebSocketServer, createWebSocketStream } = await import('ws');
    const httpServer = secure
      ? (await import('node:https')).createServer({ ...tlsOptions!, noDelay: true })
      : (await import('node:http')).createServer({ noDelay: true });
    httpServer.on('request', (_req, res) => {
      res.writeHead(426, { 'content-type': 'text/plain' });
      res.end('This is an MQTT over WebSocket endpoint.\n');
    });
    const wss = new WebSocketServer({
      server: httpServer,
      path: config.httpPath,
      perMessageDeflate: false,
      handleProtocols: (protocols) =>
        protocols.has('mqtt') ? 'mqtt' : protocols.has('mqttv3.1') ? 'mqttv3.1' : false,
    });
    wss.on('connection', (ws, req: IncomingMessage) => {
      // Registered before the stream's own listener, so a text frame never reaches the decoder:
      // MQTT travels in binary frames only [MQTT-6.0.0-1].
      ws.on('message', (_data, isBinary) => {
        if (!isBinary) stream.destroy();
      });
      const stream = createWebSocketStream(ws);
      const raw = req.socket;
      stream.on('error', () => stream.destroy());
      // The stream has no address of its own: the HTTP socket under it has.
      accept(stream, peer, remoteWithCertificate(raw) ?? remoteOf(raw));
    });
    wsClose = () => wss.close();
    server = httpServer;
  } else {
    server = tlsModule
      ? tlsModule.createServer({ ...tlsOptions!, noDelay: true }, onTcp)
      : net.createServer({ noDelay: true }, onTcp);
  }
  server.on('tlsClientError', (err) => log.notice(`OpenSSL Error on connection: ${err.message}`));

  if (config.unixSocketPath) rmSync(config.unixSocketPath, { force: true });
  await listen(
    server,
    config.unixSocketPath ?? { port: config.port, host: config.host, ipv6Only: false },
    config,
  );
  server.on('error', (err) => log.error(`Listener on port ${boundPort}: ${err.message}`));

  const address = server.address();
  if (address && typeof address === 'object') boundPort = address.port;
  peer.listenerPort = boundPort;
  const family = address && typeof address === 'object' && address.family === 'IPv6' ? 'ipv6' : 'ipv4';
  if (config.unixSocketPath) log.notice(`Opening unix listen socket on path ${config.unixSocketPath}.`);
  else if (config.protocol === 'websockets')
    log.notice(`Opening websockets listen socket on port ${boundPort}.`);
  else log.notice(`Opening ${family} listen socket on port ${boundPort}.`);
  const loopback6 =
    config.ipv6Loopback && !secure && config.protocol !== 'websockets'
      ? await listenIpv6Loopback(boundPort, onTcp, log)
      : undefined;

  return {
    port: boundPort,
    close: () =>
      new Promise<void>((resolve) => {
        wsClose?.();
        loopback6?.close();
        server.close(() => resolve());
      }),
    reloadTls: () => {
      if (!secure) return;
      tlsOptions = tlsContextOptions(config.tls!);
      (server as tls.Server).setSecureContext(tlsOptions);
    },
  };
}
