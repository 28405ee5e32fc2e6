/**
 * Readers slower than their publishers, for the flow-control tests: a raw MQTT client that
 * acknowledges at a bounded rate (or not at all), and the course's paho client slowed down.
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { execa } from 'execa';
import { Decoder } from '../../src/protocol/decoder.js';
import { encode } from '../../src/protocol/encoder.js';
import type { Packet, ProtocolVersion, QoS } from '../../src/protocol/types.js';
import { PYTHON } from './peers.js';
import { ROOT, tempDir } from './processes.js';

export interface SlowClient {
  readonly socket: net.Socket;
  /** Payloads received, as text, in arrival order. */
  readonly payloads: string[];
  /** PUBACK / PUBCOMP packet ids received for this client's own publishes. */
  readonly acked: Set<number>;
  readonly closed: boolean;
  /** The most QoS 1/2 PUBLISHes the broker had unacknowledged with this client at once. */
  readonly maxInFlight: number;
  disconnectReason: number | undefined;
  publish(topic: string, payload: string, qos: QoS, packetId: number): void;
  /** Resolves once `n` payloads arrived; rejects after `ms`. */
  waitFor(n: number, ms: number): Promise<void>;
  end(): void;
}

/**
 * Connects, subscribes to `filter` at QoS 1, and acknowledges at most `perTick` deliveries every
 * `tickMs` (0: never). Sends its own publishes without waiting for their acknowledgements.
 */
export async function slowClient(
  port: number,
  filter: string,
  opts: { perTick: number; tickMs: number; version?: ProtocolVersion; receiveMaximum?: number },
): Promise<SlowClient> {
  const version = opts.version ?? 4;
  const socket = net.connect({ port, host: '127.0.0.1' });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const payloads: string[] = [];
  const acked = new Set<number>();
  const due: number[] = [];
  let inFlight = 0;
  let closed = false;
  let subscribed: () => void = () => undefined;
  const state = { maxInFlight: 0, disconnectReason: undefined as number | undefined };
  const send = (p: Packet) => socket.write(encode(p, version));
  const decoder = new Decoder(
    (p: Packet) => {
      if (p.type === 'suback') subscribed();
      else if (p.type === 'publish') {
        payloads.push(p.payload.toString());
        if (p.qos > 0) {
          inFlight++;
          state.maxInFlight = Math.max(state.maxInFlight, inFlight);
          due.push(p.packetId!);
        }
      } else if (p.type === 'puback' || p.type === 'pubcomp') acked.add(p.packetId);
      else if (p.type === 'disconnect') state.disconnectReason = p.reasonCode;
    },
    { protocolVersion: version },
  );
  socket.on('data', (chunk: Buffer) => decoder.push(chunk));
  socket.on('close', () => {
    closed = true;
  });
  socket.on('error', () => undefined);
  const ticker =
    opts.tickMs > 0
      ? setInterval(() => {
          for (let i = 0; i < opts.perTick && due.length > 0; i++) {
            send({ type: 'puback', packetId: due.shift()! });
            inFlight--;
          }
        }, opts.tickMs)
      : undefined;
  send({
    type: 'connect',
    protocolName: 'MQTT',
    protocolVersion: version,
    bridge: false,
    clean: true,
    keepalive: 60,
    clientId: `slow-${Math.random().toString(16).slice(2, 10)}`,
    properties: opts.receiveMaximum ? { receiveMaximum: opts.receiveMaximum } : undefined,
  });
  await new Promise<void>((resolve) => {
    subscribed = resolve;
    send({ type: 'subscribe', packetId: 1, subscriptions: [{ topicFilter: filter, qos: 1 }] });
  });
  return {
    socket,
    payloads,
    acked,
    get closed() {
      return closed;
    },
    get maxInFlight() {
      return state.maxInFlight;
    },
    get disconnectReason() {
      return state.disconnectReason;
    },
    set disconnectReason(v) {
      state.disconnectReason = v;
    },
    publish: (topic, payload, qos, packetId) =>
      send({
        type: 'publish',
        topic,
        payload: Buffer.from(payload),
        qos,
        retain: false,
        dup: false,
        packetId,
      }),
    waitFor: async (n, ms) => {
      const until = Date.now() + ms;
      while (payloads.length < n) {
        if (Date.now() > until) throw new Error(`got ${payloads.length} of ${n} within ${ms} ms`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    end: () => {
      if (ticker) clearInterval(ticker);
      socket.destroy();
    },
  };
}

const PAHO_SLOW = path.join(ROOT, 'test/helpers/paho-slow-sub.py');

/** The paho subscriber of test/helpers/paho-slow-sub.py; resolves once it has subscribed. */
export async function pahoSlowSub(
  port: number,
  topic: string,
  count: number,
  delaySeconds: number,
  timeoutSeconds = 120,
) {
  const out = path.join(tempDir('mqx-paho-'), 'got');
  const proc = execa(
    PYTHON,
    [PAHO_SLOW, String(port), topic, '1', String(count), String(delaySeconds), String(timeoutSeconds), out],
    { reject: false, buffer: false, stdin: 'ignore' },
  );
  await new Promise<void>((resolve, reject) => {
    proc.stdout?.on('data', (c: Buffer) => {
      if (c.toString().includes('subscribed')) resolve();
    });
    proc.once('exit', (code) => reject(new Error(`paho exited with ${code}`)));
  });
  return {
    done: async () => {
      await proc;
      return readFileSync(out, 'utf8').split('\n').filter(Boolean);
    },
    kill: () => proc.kill('SIGKILL'),
  };
}

/** Peak resident set (VmHWM) of a process, in bytes. */
export function peakRss(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}
