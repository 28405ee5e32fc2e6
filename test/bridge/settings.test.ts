/**
 * Bridge settings that shape the remote connection, end to end: TLS (bridge_cafile,
 * bridge_certfile/bridge_keyfile, bridge_insecure) and bridge_max_packet_size, in `mqx bridge` and
 * inside `mqx broker`.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Client } from '../../src/client/index.js';
import { type InProcessBroker, startBroker } from '../helpers/broker.js';
import { makeCerts } from '../helpers/certs.js';
import { peers } from '../helpers/peers.js';
import { startMqxBroker, tempDir } from '../helpers/processes.js';
import { connect, startMqxBridge, until } from './helpers.js';

const cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step().catch(() => undefined);
});

async function broker(...args: Parameters<typeof startBroker>): Promise<InProcessBroker> {
  const b = await startBroker(...args);
  cleanup.push(() => b.stop());
  return b;
}

function writeConf(lines: string[]): string {
  const file = path.join(tempDir('mqx-bridge-settings-'), 'bridges.conf');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

describe.runIf(peers.openssl())('mqx bridge over TLS', () => {
  it('verifies the remote with bridge_cafile, presents bridge_certfile, and skips the check with bridge_insecure', async () => {
    const certs = makeCerts();
    const remote = await broker({
      listeners: [
        {
          port: 0,
          host: '127.0.0.1',
          protocol: 'mqtt',
          maxConnections: 0,
          tls: {
            certfile: certs.serverCert,
            keyfile: certs.serverKey,
            cafile: certs.caCert,
            requireCertificate: true,
            useIdentityAsUsername: false,
            useSubjectAsUsername: false,
          },
        },
      ],
    });
    const local = await broker();
    const block = (name: string, rule: string, tls: string[]) => [
      `connection ${name}`,
      `address 127.0.0.1:${remote.port}`,
      `remote_clientid ${name}`,
      `topic ${rule}`,
      'restart_timeout 1',
      `bridge_certfile ${certs.clientCert}`,
      `bridge_keyfile ${certs.clientKey}`,
      ...tls,
    ];
    const conf = writeConf([
      ...block('verified', 'a/# out 1', [`bridge_cafile ${certs.caCert}`]),
      // A CA that did not sign the remote's certificate: only bridge_insecure lets it through.
      ...block('insecure', 'b/# out 1', [`bridge_cafile ${certs.foreignCert}`, 'bridge_insecure true']),
      ...block('refused', 'c/# out 1', [`bridge_cafile ${certs.foreignCert}`]),
    ]);
    const bridge = startMqxBridge(['-c', conf, '--local', `mqtt://127.0.0.1:${local.port}`]);
    cleanup.push(() => bridge.stop());
    await until(
      () =>
        ['verified', 'insecure'].every((id) => remote.broker.sessions.get(id)?.connected === true) &&
        bridge.log.some((l) => /bridge refused \(remote\): connecting to .* failed/.test(l)),
      15_000,
      'the bridges to connect, or fail to',
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n${bridge.log.join('\n')}`);
    });
    const sub = await Client.connect({
      broker: {
        scheme: 'mqtts',
        host: '127.0.0.1',
        port: remote.port,
        tls: { cafile: certs.caCert, cert: certs.clientCert, key: certs.clientKey },
      },
    });
    const received: string[] = [];
    sub.on('message', (p) => received.push(p.topic));
    const pub = await connect(local.port);
    cleanup.push(() => sub.end());
    cleanup.push(() => pub.client.end());
    await sub.subscribe([{ topicFilter: '+/x', qos: 1 }]);
    for (const topic of ['a/x', 'b/x', 'c/x']) await pub.client.publish(topic, 'over TLS', { qos: 1 });
    await until(() => received.length >= 2, 10_000, 'the messages over TLS');
    expect(received.sort()).toEqual(['a/x', 'b/x']);
    expect(remote.broker.sessions.get('refused')?.connected).not.toBe(true);
  });
});

describe('bridge_max_packet_size', () => {
  for (const where of ['mqx broker', 'mqx bridge'] as const) {
    it(`${where}: a message over the limit is logged and not forwarded; smaller ones are`, async () => {
      const remote = await broker();
      const local = where === 'mqx broker' ? undefined : await broker();
      const sub = await connect(remote.port);
      cleanup.push(() => sub.client.end());
      await sub.client.subscribe([{ topicFilter: 'm/#', qos: 1 }]);
      const conf = writeConf([
        ...(local ? [] : ['listener 0 127.0.0.1', 'allow_anonymous true']),
        'connection sized',
        `address 127.0.0.1:${remote.port}`,
        'remote_clientid sized',
        'topic m/# out 1',
        'restart_timeout 1',
        'bridge_max_packet_size 200',
      ]);
      let log: string[];
      let localPort: number;
      if (local) {
        const bridge = startMqxBridge(['-c', conf, '--local', `mqtt://127.0.0.1:${local.port}`]);
        cleanup.push(() => bridge.stop());
        log = bridge.log;
        localPort = local.port;
      } else {
        const edge = await startMqxBroker(['-c', conf]);
        cleanup.push(() => edge.stop());
        log = edge.log;
        localPort = edge.port;
      }
      await until(() => remote.broker.sessions.get('sized')?.connected === true, 15_000, 'the bridge up');
      // mqx bridge subscribes on its local side on its own schedule: publish only once it has.
      if (local)
        await until(
          () => [...local.broker.sessions.values()].some((s) => s.subscriptions.has('m/#')),
          15_000,
          'the bridge subscribed on the local broker',
        );
      const pub = await connect(localPort);
      cleanup.push(() => pub.client.end());
      await pub.client.publish('m/big', Buffer.alloc(500, 'x'), { qos: 1 });
      await pub.client.publish('m/small', 'fits', { qos: 1 });
      // In order on one session: once the small one is there, the big one would have been too.
      await until(() => sub.received.some((p) => p.topic === 'm/small'), 10_000, 'the small message');
      expect(sub.received.map((p) => p.topic)).toEqual(['m/small']);
      await until(
        () => log.some((l) => /'m\/big' larger than bridge_max_packet_size/.test(l)),
        5_000,
        'the log',
      );
    });
  }
});
