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
}

/** Wall-clock time in nanoseconds: Date.now() alone only has milliseconds, %U and @N want more. */
export function nowNs(): bigint {
  return BigInt(Math.round((performance.timeOrigin + performance.now()) * 1000)) * 1000n;
}

export function nsToDate(ns: bigint): Date {
  return new Date(Number(ns / 1_000_000n));
}
