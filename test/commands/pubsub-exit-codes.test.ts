/**
 * Exit codes of the real binary for broker behaviour that real brokers will not produce on cue:
 * a SUBACK refusal, a broker that never answers CONNECT, one that drops the connection.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { defaultResponder, FakeBroker } from '../client/fake-broker.js';
import { runMqx } from '../helpers/processes.js';

const brokers: FakeBroker[] = [];
afterEach(async () => {
  for (const b of brokers.splice(0)) await b.stop();
});

async function fake(options: ConstructorParameters<typeof FakeBroker>[0]): Promise<string[]> {
  const b = await new FakeBroker(options).start();
  brokers.push(b);
  return ['-h', '127.0.0.1', '-p', String(b.port)];
}

const stderr = (r: { stderr: unknown }) => Buffer.from(r.stderr as Uint8Array).toString();

describe('exit codes against a scripted broker', () => {
  it('a refused subscription exits 6 naming the filter', async () => {
    const p = await fake({
      onPacket: (packet, conn) => {
        if (packet.type === 'subscribe')
          conn.send({ type: 'suback', packetId: packet.packetId, reasonCodes: [0x80] });
        else defaultResponder(packet, conn);
      },
    });
    const r = await runMqx(['sub', ...p, '-t', 'secret/#']);
    expect(r.exitCode).toBe(6);
    expect(stderr(r)).toBe("mqx: subscription refused: 'secret/#': UnspecifiedError (0x80)");
  });

  it('a broker that never sends CONNACK: --connect-timeout exits 5', async () => {
    const p = await fake({ connack: () => undefined });
    const r = await runMqx(['pub', ...p, '-t', 'a', '-m', 'x', '--connect-timeout', '0.5']);
    expect(r.exitCode).toBe(5);
    expect(stderr(r)).toMatch(/CONNACK/);
  });

  it('a refused connection exits 4 for pub and sub', async () => {
    const p = await fake({ connack: () => ({ type: 'connack', sessionPresent: false, reasonCode: 2 }) });
    for (const args of [
      ['pub', '-t', 'a', '-m', 'x'],
      ['sub', '-t', 'a'],
    ]) {
      const r = await runMqx([args[0]!, ...p, ...args.slice(1)]);
      expect(r.exitCode).toBe(4);
      expect(stderr(r)).toBe('mqx: connection refused: IdentifierRejected (2)');
    }
  });

  it('a connection dropped under sub --no-reconnect exits 3 instead of waiting forever', async () => {
    const p = await fake({
      onPacket: (packet, conn) => {
        defaultResponder(packet, conn);
        if (packet.type === 'subscribe') setTimeout(() => conn.socket.destroy(), 100);
      },
    });
    const r = await runMqx(['sub', ...p, '-t', 'a', '--no-reconnect']);
    expect(r.exitCode).toBe(3);
    expect(stderr(r).trim().split('\n')).toHaveLength(1);
  });

  it('a QoS 1 publish never acknowledged before the connection drops exits 3', async () => {
    const p = await fake({
      onPacket: (packet, conn) => {
        if (packet.type === 'publish') conn.socket.destroy();
      },
    });
    const r = await runMqx(['pub', ...p, '-t', 'a', '-m', 'x', '-q', '1']);
    expect(r.exitCode).toBe(3);
  });
});

describe('mqx pub and acknowledgements with a failure reason code', () => {
  const refusing = (type: 'puback' | 'pubrec' | 'pubcomp', reasonCode: number) =>
    fake({
      onPacket: (packet, conn) => {
        if (packet.type === 'publish' && packet.qos > 0) {
          const ack = packet.qos === 1 ? 'puback' : 'pubrec';
          // Only the last of the repeated publishes is refused: one failure among successes is enough.
          const last = packet.payload.toString() === 'last';
          conn.send({
            type: ack,
            packetId: packet.packetId!,
            ...(ack === type && last ? { reasonCode } : {}),
          });
        } else if (packet.type === 'pubrel') {
          conn.send({
            type: 'pubcomp',
            packetId: packet.packetId,
            ...(type === 'pubcomp' ? { reasonCode } : {}),
          });
        } else defaultResponder(packet, conn);
      },
    });

  for (const [type, qos, code, name] of [
    ['puback', '1', 0x87, 'NotAuthorized (0x87)'],
    ['pubrec', '2', 0x97, 'QuotaExceeded (0x97)'],
    ['pubcomp', '2', 0x92, 'PacketIdentifierNotFound (0x92)'],
  ] as const) {
    it(`a ${type.toUpperCase()} with ${name} exits 6`, async () => {
      const p = await refusing(type, code);
      const input = 'first\nsecond\nlast\n';
      const r = await runMqx(['pub', ...p, '-V', '5', '-t', 'a', '-q', qos, '-l'], { input });
      expect(stderr(r)).toBe(`mqx: publish to 'a' rejected: ${name}`);
      expect(r.exitCode).toBe(6);
    });
  }
});
