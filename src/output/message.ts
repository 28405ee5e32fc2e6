import type { Properties, QoS } from '../protocol/types.js';

/** A message as the output layer sees it: what arrived plus when. */
export interface ReceivedMessage {
  topic: string;
  payload: Buffer;
  qos: QoS;
  retain: boolean;
  /** 0 for QoS 0. */
  packetId: number;
  properties?: Properties;
  /** Arrival time, nanoseconds since the Unix epoch (microsecond resolution in practice). */
  receivedNs: bigint;
  /** The payload as `mqx sub --decode` read it. */
  decoded?: DecodedPayload;
}

/** A payload decoded by src/payload: what people see, and what --json adds beside the raw bytes. */
export interface DecodedPayload {
  /** The format it was read as: text, json, hex, base64, cbor, msgpack, protobuf or sparkplug. */
  format: string;
  /** What -v, the default output and -F's %p print. */
  text: Buffer;
  /** The payload's JSON for --json and %J; absent for text, which --json already carries. */
  json?: unknown;
}

/** Wall-clock time in nanoseconds: Date.now() alone only has milliseconds, %U and @N want more. */
export function nowNs(): bigint {
  return BigInt(Math.round((performance.timeOrigin + performance.now()) * 1000)) * 1000n;
}

export function nsToDate(ns: bigint): Date {
  return new Date(Number(ns / 1_000_000n));
}
