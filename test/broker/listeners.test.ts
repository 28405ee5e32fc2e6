import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { execa } from 'execa';
import mqtt, { type IClientOptions } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ListenerConfig, TlsSettings } from '../../src/config/broker-config.js';
import { type InProcessBroker, startBroker } from '../helpers/broker.js';
import { makeCerts, type TestCerts } from '../helpers/certs.js';
import { peers } from '../helpers/peers.js';
import { startMqxBroker, tempDir } from '../helpers/processes.js';
import { RawClient } from '../helpers/raw-client.js';

const tls = (certs: TestCerts, extra: Partial<TlsSettings> = {}): TlsSettings => ({
  certfile: certs.serverCert,
  keyfile: certs.serverKey,
  cafile: certs.caCert,
  requireCertificate: false,
  useIdentityAsUsername: false,
  useSubjectAsUsername: false,
  ...extra,
});

const listener = (protocol: 'mqtt' | 'websockets', settings?: TlsSettings): ListenerConfig => ({
  port: 0,
  host: '127.0.0.1',
  protocol,
  maxConnections: 0,
  tls: settings,
});

/** Connects MQTT.js, publishes to itself and resolves with the payload it got back. */
async function roundTrip(url: string, options: IClientOptions = {}): Promise<string> {
  const client = await mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 5_000, ...options });
  try {
    await client.subscribeAsync('echo/t', { qos: 1 });
    const got = new Promise<string>((resolve) => client.once('message', (_t, p) => resolve(p.toString())));
    await client.publishAsync('echo/t', 'through', { qos: 1 });
    return await got;
  } finally {
    await client.endAsync();
  }
}

describe.runIf(peers.openssl())('TLS listeners', () => {
  let certs: TestCerts;
  let b: InProcessBroker;
  let mutual: InProcessBroker;
  beforeAll(async () => {
    certs = makeCerts();
    b = await startBroker({ listeners: [listener('mqtt', tls(certs))] });
    mutual = await startBroker({
      listeners: [listener('mqtt', tls(certs, { requireCertificate: true, useIdentityAsUsername: true }))],
    });
  });
  afterAll(async () => {
    await b.stop();
    await mutual.stop();
  });

  it('MQTT.js connects with a CA-verified server certificate', async () => {
    expect(await roundTrip(`mqtts://localhost:${b.port}`, { ca: readFileSync(certs.caCert) })).toBe(
      'through',
    );
  });

  it('MQTT.js refuses a server whose CA it does not trust', async () => {
    await expect(
      roundTrip(`mqtts://localhost:${b.port}`, { ca: readFileSync(certs.foreignCert) }),
    ).rejects.toThrow();
  });

  it.runIf(peers.mosquittoClients())('mosquitto_pub and mosquitto_sub connect with --cafile', async () => {
    const common = ['-h', 'localhost', '-p', String(b.port), '--cafile', certs.caCert, '-t', 'tls/t'];
    const sub = execa('mosquitto_sub', [...common, '-C', '1', '-W', '5'], { reject: false });
    await new Promise((r) => setTimeout(r, 400));
    const pub = await execa('mosquitto_pub', [...common, '-m', 'secure'], { reject: false });
    expect(pub.exitCode, pub.stderr).toBe(0);
    expect((await sub).stdout).toBe('secure');
  });

  it('require_certificate: a client certificate from the right CA is accepted and its CN is the username', async () => {
    const client = await mqtt.connectAsync(`mqtts://localhost:${mutual.port}`, {
      reconnectPeriod: 0,
      ca: readFileSync(certs.caCert),
      cert: readFileSync(certs.clientCert),
      key: readFileSync(certs.clientKey),
      clientId: 'with-cert',
    });
    const conn = [...mutual.broker.connections].find((c) => c.clientId === 'with-cert');
    expect(conn?.username).toBe('alice');
    await client.endAsync();
  });

  it('require_certificate: no client certificate is refused', async () => {
    await expect(
      roundTrip(`mqtts://localhost:${mutual.port}`, { ca: readFileSync(certs.caCert) }),
    ).rejects.toThrow();
  });

  it('require_certificate: a certificate from another CA is refused before any MQTT', async () => {
    const socket = tlsConnect({
      host: 'localhost',
      port: mutual.port,
      ca: readFileSync(certs.caCert),
      cert: readFileSync(certs.foreignCert),
      key: readFileSync(certs.foreignKey),
    });
    const outcome = await new Promise<string>((resolve) => {
      socket.once('error', (err) => resolve(`error: ${err.message}`));
      socket.once('data', () => resolve('data'));
      socket.once('close', () => resolve('closed'));
      socket.once('secureConnect', () =>
        socket.write(Buffer.from([0x10, 0x0c, 0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 2, 0, 60, 0, 0])),
      );
    });
    // TLS 1.3 completes the client's side of the handshake first; the server's alert then ends it.
    expect(outcome).toMatch(/^(closed|error: .*(unknown ca|certificate))/i);
    socket.destroy();
  });

  it.runIf(peers.mosquittoClients())(
    'require_certificate: mosquitto_pub with --cert/--key gets through, without is refused',
    async () => {
      const base = [
        '-h',
        'localhost',
        '-p',
        String(mutual.port),
        '--cafile',
        certs.caCert,
        '-t',
        'mtls/t',
        '-m',
        'x',
      ];
      const ok = await execa(
        'mosquitto_pub',
        [...base, '--cert', certs.clientCert, '--key', certs.clientKey],
        { reject: false },
      );
      expect(ok.exitCode, ok.stderr).toBe(0);
      const refused = await execa('mosquitto_pub', base, { reject: false });
      expect(refused.exitCode).not.toBe(0);
    },
  );
});

describe('WebSocket listeners', () => {
  let ws: InProcessBroker;
  beforeAll(async () => {
    ws = await startBroker({ listeners: [listener('websockets')] });
  });
  afterAll(() => ws.stop());

  it('MQTT.js over ws:// (3.1.1 and 5.0), on any path', async () => {
    expect(await roundTrip(`ws://127.0.0.1:${ws.port}/mqtt`)).toBe('through');
    expect(await roundTrip(`ws://127.0.0.1:${ws.port}/any/path`, { protocolVersion: 5 })).toBe('through');
  });

  it('answers a plain HTTP request with 426 and stays up', async () => {
    const res = await fetch(`http://127.0.0.1:${ws.port}/`);
    expect(res.status).toBe(426);
    expect(await roundTrip(`ws://127.0.0.1:${ws.port}/mqtt`)).toBe('through');
  });

  it.runIf(peers.openssl())('MQTT.js over wss:// with a CA-verified certificate', async () => {
    const certs = makeCerts();
    const wss = await startBroker({ listeners: [listener('websockets', tls(certs))] });
    try {
      expect(await roundTrip(`wss://localhost:${wss.port}/mqtt`, { ca: readFileSync(certs.caCert) })).toBe(
        'through',
      );
    } finally {
      await wss.stop();
    }
  });
});

describe('unix socket listeners', () => {
  it('accepts MQTT over a unix domain socket', async () => {
    const sock = path.join(tempDir('mqx-unix-'), 'mqx.sock');
    const b = await startBroker({
      listeners: [{ port: 0, protocol: 'mqtt', maxConnections: 0, unixSocketPath: sock }],
    });
    try {
      const client = await RawClient.connect(sock);
      client.send({ type: 'subscribe', packetId: 1, subscriptions: [{ topicFilter: 'u/t', qos: 0 }] });
      await client.next('suback');
      client.send({
        type: 'publish',
        topic: 'u/t',
        payload: Buffer.from('local'),
        qos: 0,
        retain: false,
        dup: false,
      });
      expect((await client.next('publish')).payload.toString()).toBe('local');
      client.end();
    } finally {
      await b.stop();
    }
  });
});

describe('listener limits', () => {
  it('max_connections refuses connections beyond the limit', async () => {
    const b = await startBroker({ listeners: [{ ...listener('mqtt'), maxConnections: 2 }] });
    try {
      const a = await mqtt.connectAsync(`mqtt://127.0.0.1:${b.port}`, { reconnectPeriod: 0 });
      const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${b.port}`, { reconnectPeriod: 0 });
      const third = await RawClient.open(b.port);
      await third.expectClosed();
      await a.endAsync();
      await c.endAsync();
    } finally {
      await b.stop();
    }
  });

  it('mount_point prefixes the topics of a listener and hides the prefix from its clients', async () => {
    const b = await startBroker({
      listeners: [listener('mqtt'), { ...listener('mqtt'), mountPoint: 'tenant1/' }],
    });
    try {
      const [plainPort, mountedPort] = b.broker.ports;
      const outside = await mqtt.connectAsync(`mqtt://127.0.0.1:${plainPort}`, { reconnectPeriod: 0 });
      const inside = await mqtt.connectAsync(`mqtt://127.0.0.1:${mountedPort}`, { reconnectPeriod: 0 });
      await outside.subscribeAsync('tenant1/#');
      await inside.subscribeAsync('status');
      const seenOutside = new Promise<string>((resolve) => outside.once('message', (t) => resolve(t)));
      const seenInside = new Promise<string>((resolve) => inside.once('message', (t) => resolve(t)));
      await inside.publishAsync('status', 'up');
      expect(await seenOutside).toBe('tenant1/status');
      expect(await seenInside).toBe('status');
      await outside.endAsync();
      await inside.endAsync();
    } finally {
      await b.stop();
    }
  });

  it('mount_point: QoS 1 deliveries in flight together carry their own packet ids', async () => {
    const b = await startBroker({
      listeners: [listener('mqtt'), { ...listener('mqtt'), mountPoint: 'tenant1/' }],
    });
    try {
      const [plainPort, mountedPort] = b.broker.ports;
      const inside = await mqtt.connectAsync(`mqtt://127.0.0.1:${mountedPort}`, {
        reconnectPeriod: 0,
        manualAcks: true,
      } as IClientOptions);
      await inside.subscribeAsync('status', { qos: 1 });
      const ids: number[] = [];
      const three = new Promise<void>((resolve) =>
        inside.on('message', (_t, _p, packet) => {
          ids.push(packet.messageId!);
          if (ids.length === 3) resolve();
        }),
      );
      const outside = await mqtt.connectAsync(`mqtt://127.0.0.1:${plainPort}`, { reconnectPeriod: 0 });
      for (const n of [1, 2, 3]) await outside.publishAsync('tenant1/status', String(n), { qos: 1 });
      await three;
      expect(new Set(ids).size).toBe(3);
      await outside.endAsync();
      inside.end(true);
    } finally {
      await b.stop();
    }
  });
});

describe.runIf(peers.openssl())('TLS identity and reload', () => {
  it('use_subject_as_username: the certificate subject, in RFC 2253 order, is the username', async () => {
    const certs = makeCerts();
    const b = await startBroker({
      listeners: [listener('mqtt', tls(certs, { requireCertificate: true, useSubjectAsUsername: true }))],
    });
    try {
      const client = await mqtt.connectAsync(`mqtts://localhost:${b.port}`, {
        reconnectPeriod: 0,
        ca: readFileSync(certs.caCert),
        cert: readFileSync(certs.clientCert),
        key: readFileSync(certs.clientKey),
        clientId: 'by-subject',
      });
      expect([...b.broker.connections].find((c) => c.clientId === 'by-subject')?.username).toBe(
        'CN=alice,O=mqx tests',
      );
      await client.endAsync();
    } finally {
      await b.stop();
    }
  });

  it('SIGHUP reloads the server certificate: new connections get the new one', async () => {
    const first = makeCerts();
    const second = makeCerts();
    const dir = tempDir('mqx-tls-reload-');
    const cert = path.join(dir, 'server.crt');
    const key = path.join(dir, 'server.key');
    writeFileSync(cert, readFileSync(first.serverCert));
    writeFileSync(key, readFileSync(first.serverKey));
    const conf = path.join(dir, 'mqx.conf');
    writeFileSync(conf, `listener 0 127.0.0.1\nallow_anonymous true\ncertfile ${cert}\nkeyfile ${key}\n`);
    const b = await startMqxBroker(['-c', conf]);
    try {
      const connect = (ca: string) => roundTrip(`mqtts://localhost:${b.port}`, { ca: readFileSync(ca) });
      expect(await connect(first.caCert)).toBe('through');
      writeFileSync(cert, readFileSync(second.serverCert));
      writeFileSync(key, readFileSync(second.serverKey));
      b.proc.kill('SIGHUP');
      await new Promise((r) => setTimeout(r, 500));
      expect(await connect(second.caCert)).toBe('through');
      await expect(connect(first.caCert)).rejects.toThrow();
    } finally {
      await b.stop();
    }
  });
});
