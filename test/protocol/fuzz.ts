import fc from 'fast-check';
import {
  Decoder,
  encode,
  type Packet,
  ProtocolError,
  type ProtocolVersion,
} from '../../src/protocol/index.js';
import { packetArbitrary, VERSIONS } from './arbitraries.js';

/*
 * Decoder fuzzing: random byte streams and mutated valid encodings, cut into random chunks. The
 * decoder may only deliver packets or throw ProtocolError; anything else escaping, a case that
 * takes too long, buffering beyond the maximum packet size, or a delivered packet that the
 * encoder cannot reproduce is a failure.
 */

export interface FuzzOptions {
  /** Cases to run at most. */
  cases: number;
  /** Stop early after this many milliseconds. */
  timeLimitMs?: number;
  seed?: number;
}

export interface FuzzFailure {
  case: number;
  version: ProtocolVersion;
  problem: string;
  input: string;
}

export interface FuzzReport {
  /** Replays the run when passed back as `seed`. */
  seed: number;
  cases: number;
  packetsDelivered: number;
  protocolErrors: number;
  cleanStreams: number;
  bytes: number;
  maxBufferedBytes: number;
  maxCaseMs: number;
  elapsedMs: number;
  failures: FuzzFailure[];
}

/** A case slower than this counts as a hang. */
const HANG_MS = 1_000;
/** Limits chosen per case for mutated and random input; no limit is only used for valid input. */
const PACKET_LIMITS = [16, 256, 4_096, 65_536];
const INTERESTING_BYTES = [0x00, 0x01, 0x02, 0x7f, 0x80, 0xff, 0x26, 0x0b, 0x23];

/** mulberry32: small, fast and reproducible from the seed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function corpus(version: ProtocolVersion, seed: number): Buffer[] {
  return fc.sample(packetArbitrary(version), { numRuns: 300, seed }).map((p) => encode(p, version));
}

function mutate(input: Buffer, next: () => number): Buffer {
  const int = (n: number) => Math.floor(next() * n);
  let bytes = Buffer.from(input);
  const mutations = 1 + int(4);
  for (let m = 0; m < mutations; m++) {
    const at = int(Math.max(bytes.length, 1));
    switch (int(7)) {
      case 0:
        if (bytes.length > 0) bytes[at] = bytes[at]! ^ (1 << int(8));
        break;
      case 1:
        if (bytes.length > 0) bytes[at] = int(256);
        break;
      case 2:
        if (bytes.length > 0) bytes[at] = INTERESTING_BYTES[int(INTERESTING_BYTES.length)]!;
        break;
      case 3:
        bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from([int(256)]), bytes.subarray(at)]);
        break;
      case 4:
        bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + 1 + int(4))]);
        break;
      case 5:
        bytes = bytes.subarray(0, at);
        break;
      default:
        // Remaining length byte: the field that steers the state machine.
        if (bytes.length > 1) bytes[1] = (bytes[1]! + (next() < 0.5 ? 1 : -1)) & 0xff;
    }
  }
  return bytes;
}

function chunks(input: Buffer, next: () => number): Buffer[] {
  const out: Buffer[] = [];
  const maxChunk = 1 + Math.floor(next() * (next() < 0.3 ? 4 : 64));
  for (let pos = 0; pos < input.length; ) {
    const size = 1 + Math.floor(next() * maxChunk);
    out.push(input.subarray(pos, pos + size));
    pos += size;
  }
  return out;
}

/** A delivered packet must survive encoding: the decoder only accepts what can be sent. */
function reencodes(packet: Packet, version: ProtocolVersion): string | undefined {
  try {
    const bytes = encode(packet, version);
    let count = 0;
    new Decoder(() => count++, { protocolVersion: version }).push(bytes);
    return count === 1 ? undefined : `re-encoded ${packet.type} decoded to ${count} packets`;
  } catch (error) {
    return `decoded ${packet.type} does not re-encode: ${(error as Error).message}`;
  }
}

export function fuzz(options: FuzzOptions): FuzzReport {
  const seed = options.seed ?? Date.now() >>> 0;
  const next = random(seed);
  const int = (n: number) => Math.floor(next() * n);
  const corpora = new Map(VERSIONS.map((v) => [v, corpus(v, seed)]));
  const deadline = options.timeLimitMs === undefined ? Infinity : Date.now() + options.timeLimitMs;
  const report: FuzzReport = {
    seed,
    cases: 0,
    packetsDelivered: 0,
    protocolErrors: 0,
    cleanStreams: 0,
    bytes: 0,
    maxBufferedBytes: 0,
    maxCaseMs: 0,
    elapsedMs: 0,
    failures: [],
  };
  const started = Date.now();
  for (let n = 0; n < options.cases; n++) {
    if ((n & 0xff) === 0 && Date.now() > deadline) break;
    const version = VERSIONS[int(VERSIONS.length)]!;
    const pool = corpora.get(version)!;
    const mode = int(10);
    let input: Buffer;
    if (mode < 2) {
      input = Buffer.from(Array.from({ length: int(48) }, () => int(256)));
    } else {
      const parts = Array.from({ length: 1 + int(4) }, () => pool[int(pool.length)]!);
      input = Buffer.concat(parts);
      if (mode < 9) input = mutate(input, next);
    }
    const valid = mode === 9;
    const maxPacketSize = valid && next() < 0.5 ? 0 : PACKET_LIMITS[int(PACKET_LIMITS.length)]!;
    const fail = (problem: string) =>
      report.failures.push({ case: n, version, problem, input: input.toString('hex') });

    // With the version each packet was decoded under: a CONNECT switches it mid-stream.
    const delivered: Array<[Packet, ProtocolVersion]> = [];
    const decoder: Decoder = new Decoder((p) => delivered.push([p, decoder.protocolVersion]), {
      protocolVersion: version,
      maxPacketSize,
    });
    const t0 = performance.now();
    try {
      for (const chunk of chunks(input, next)) {
        decoder.push(chunk);
        if (maxPacketSize > 0 && decoder.bufferedBytes > maxPacketSize) {
          fail(`buffered ${decoder.bufferedBytes} bytes with a maximum packet size of ${maxPacketSize}`);
        }
        report.maxBufferedBytes = Math.max(report.maxBufferedBytes, decoder.bufferedBytes);
      }
      report.cleanStreams++;
    } catch (error) {
      if (error instanceof ProtocolError) {
        report.protocolErrors++;
        if (valid && maxPacketSize === 0) fail(`valid stream rejected: ${error.message}`);
      } else {
        fail(`${(error as Error)?.name}: ${(error as Error)?.message}`);
      }
    }
    const ms = performance.now() - t0;
    report.maxCaseMs = Math.max(report.maxCaseMs, ms);
    if (ms > HANG_MS) fail(`case took ${ms.toFixed(0)} ms`);
    for (const [packet, packetVersion] of delivered) {
      const problem = reencodes(packet, packetVersion);
      if (problem !== undefined) fail(problem);
    }
    report.packetsDelivered += delivered.length;
    report.bytes += input.length;
    report.cases++;
  }
  report.elapsedMs = Date.now() - started;
  return report;
}
