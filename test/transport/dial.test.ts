import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { ConnectionError, UsageError } from '../../src/errors.js';
import { dial, tlsConnectOptions } from '../../src/transport/dial.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function tcpServer(onSocket: (s: net.Socket) => void): Promise<number> {
  const server = net.createServer(onSocket);
  cleanups.push(() => server.close());
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)),
  );
}

describe('dial', () => {
  it('batches the writes of one event-loop turn into one chunk', async () => {
    const chunks: Buffer[] = [];
    let got: () => void = () => undefined;
    const arrived = new Promise<void>((r) => (got = r));
    const port = await tcpServer((s) =>
      s.on('data', (c) => {
        chunks.push(c);
        if (Buffer.concat(chunks).length === 300) got();
      }),
    );
    const t = await dial({ scheme: 'mqtt', host: '127.0.0.1', port });
    for (let i = 0; i < 100; i++) t.write(Buffer.from('abc'));
    await arrived;
    expect(chunks).toHaveLength(1);
    t.destroy();
  });

  it('emits data and close', async () => {
    const port = await tcpServer((s) => s.end('hello'));
    const t = await dial({ scheme: 'mqtt', host: '127.0.0.1', port });
    const data: Buffer[] = [];
    t.on('data', (c) => data.push(c));
    await new Promise<void>((r) => t.once('close', r));
    expect(Buffer.concat(data).toString()).toBe('hello');
    expect(t.closed).toBe(true);
  });

  it('rejects with ConnectionError naming the address when refused', async () => {
    const port = await tcpServer(() => undefined);
    for (const close of cleanups.splice(0)) close();
    await new Promise((r) => setTimeout(r, 20));
    const err = await dial({ scheme: 'mqtt', host: '127.0.0.1', port }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as Error).message).toMatch(new RegExp(`mqtt://127.0.0.1:${port}.*ECONNREFUSED`));
  });

  it('speaks WebSocket with the mqtt subprotocol on the given path', async () => {
    const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    cleanups.push(() => wss.close());
    await new Promise<void>((r) => wss.once('listening', r));
    const seen = new Promise<{ protocol: string; path: string; data: Buffer }>((resolve) =>
      wss.once('connection', (ws, req) =>
        ws.once('message', (data) =>
          resolve({ protocol: ws.protocol, path: req.url ?? '', data: data as Buffer }),
        ),
      ),
    );
    const port = (wss.address() as net.AddressInfo).port;
    const t = await dial({ scheme: 'ws', host: '127.0.0.1', port, wsPath: '/mqtt' });
    t.write(Buffer.from([0xc0, 0x00]));
    const got = await seen;
    expect(got.protocol).toBe('mqtt');
    expect(got.path).toBe('/mqtt');
    expect([...got.data]).toEqual([0xc0, 0x00]);
    t.destroy();
  });
});

describe('tlsConnectOptions', () => {
  it('maps mosquitto TLS flags onto Node options', () => {
    const o = tlsConnectOptions('broker.example', { insecure: true, tlsVersion: 'tlsv1.3', alpn: ['mqtt'] });
    expect(o).toMatchObject({
      servername: 'broker.example',
      rejectUnauthorized: false,
      minVersion: 'TLSv1.3',
      maxVersion: 'TLSv1.3',
      ALPNProtocols: ['mqtt'],
    });
    expect(tlsConnectOptions('127.0.0.1').servername).toBeUndefined();
    expect(tlsConnectOptions('h').ALPNProtocols).toBeUndefined();
  });

  it('reports unreadable files and unknown versions as usage errors', () => {
    expect(() => tlsConnectOptions('h', { cafile: '/nonexistent/ca.pem' })).toThrow(UsageError);
    expect(() => tlsConnectOptions('h', { capath: '/nonexistent' })).toThrow(UsageError);
    expect(() => tlsConnectOptions('h', { tlsVersion: 'sslv3' })).toThrow(UsageError);
  });
});
