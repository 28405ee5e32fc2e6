/**
 * `mqx replay`: the messages of a recording published again with their original spacing. Each
 * message is due at a time computed from the start of the pass (never from the previous send),
 * so timer lateness does not add up over a long recording. QoS 1/2 publishes are not awaited one
 * by one (that would stretch the spacing by a round trip); a bounded number stay in flight.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Client } from '../client/client.js';
import { decodeLine, type RecordedMessage } from './format.js';

export interface ReplayOptions {
  /** 1 = original spacing, 2 = twice as fast; Infinity = as fast as possible. */
  speed: number;
  loop: boolean;
  topicPrefix: string;
}

export interface ReplayTotals {
  messages: number;
  passes: number;
  startedMs: number;
}

const IN_FLIGHT = 1000;

export async function* readRecording(file: string): AsyncGenerator<RecordedMessage> {
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  let n = 0;
  for await (const line of lines) {
    n++;
    if (line.trim() === '') continue;
    yield decodeLine(line, `${file}:${n}`);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Publishes the recording (again and again with `loop`); `totals` counts as it goes. */
export async function replay(
  client: Client,
  recording: () => AsyncIterable<RecordedMessage>,
  options: ReplayOptions,
  totals: ReplayTotals,
): Promise<void> {
  const pending = new Set<Promise<unknown>>();
  let failure: unknown;
  do {
    totals.passes++;
    let firstMs: number | undefined;
    const passStart = performance.now();
    let sent = 0;
    for await (const m of recording()) {
      firstMs ??= m.timeMs;
      if (Number.isFinite(options.speed)) {
        const wait = passStart + (m.timeMs - firstMs) / options.speed - performance.now();
        if (wait > 0) await sleep(wait);
      }
      while (pending.size >= IN_FLIGHT) await Promise.race(pending);
      if (failure) throw failure;
      const publish = client
        .publish(options.topicPrefix + m.topic, m.payload, {
          qos: m.qos,
          retain: m.retain,
          ...(m.properties ? { properties: m.properties } : {}),
        })
        .then(
          () => totals.messages++,
          (err: unknown) => (failure ??= err),
        )
        .finally(() => pending.delete(publish));
      pending.add(publish);
      sent++;
    }
    // An empty recording would loop without end doing nothing.
    if (sent === 0) break;
  } while (options.loop && !failure);
  await Promise.all(pending);
  if (failure) throw failure;
}

export function formatReplayTotals(t: ReplayTotals): string {
  const seconds = (Date.now() - t.startedMs) / 1000;
  const passes = t.passes > 1 ? ` in ${t.passes} passes` : '';
  return `${t.messages} messages replayed${passes} in ${seconds.toFixed(1)} s`;
}
