/**
 * The limits CONNACK does not tell (largest payload, longest topic, deepest topic), found by
 * round trips through the broker: a PUBLISH to ourselves counts when it comes back. The size of
 * the largest PUBLISH that went through is the maximum packet size found by trying.
 */
import { encodePublishHeader } from '../protocol/encoder.js';
import type { ProbeConnection } from './connection.js';
import { type LimitReport, OutOfTime, type ProbeContext, ROUND_TRIP_MS } from './context.js';
import { type Limit, largestAccepted } from './search.js';

export async function probeLimits(p: ProbeContext): Promise<void> {
  const roundTrip = async (topic: string, payload: Buffer, filter: string): Promise<boolean> => {
    let c: ProbeConnection | undefined;
    try {
      c = await p.open(p.plain);
      const [code] = await c.client.subscribe([{ topicFilter: filter, qos: p.qos1() }]);
      if (code === undefined || code >= 0x80) return false;
      await c.client.publish(topic, payload, { qos: p.qos1() });
      const got = await c.waitFor(
        (m) => m.topic === topic && m.payload.length === payload.length,
        p.bounded(ROUND_TRIP_MS),
      );
      return got !== undefined;
    } catch (err) {
      if (err instanceof OutOfTime) throw err;
      return false;
    } finally {
      await c?.close();
    }
  };
  const limitReport = (l: Limit): LimitReport => ({ value: l.value ?? null, exact: l.exact });
  const describeLimit = (l: Limit, unit: string) =>
    `${l.trials} trials: ${l.value === undefined ? 'none accepted' : `${l.exact ? '' : 'at least '}${l.value} ${unit}`}`;

  await p.step('payload', async () => {
    const topic = `${p.prefix}/p`;
    const l = await largestAccepted((n) => roundTrip(topic, Buffer.alloc(n, 0x61), topic), {
      floor: 0,
      start: 1024,
      cap: p.options.payloadCap,
      maxTrials: 24,
    });
    p.report.limits.payload = limitReport(l);
    p.found.payload = `round trips of growing payloads, ${describeLimit(l, 'bytes')}`;
    if (l.value !== undefined && l.exact) {
      const header = encodePublishHeader(
        {
          type: 'publish',
          topic,
          payload: Buffer.alloc(l.value),
          qos: p.qos1(),
          retain: false,
          dup: false,
          packetId: 1,
        },
        p.plain,
      ).header;
      const largest = header.length + l.value;
      if (p.report.maximumPacketSize === null) p.report.maximumPacketSize = largest;
      p.add('maximumPacketSize', `tried: the largest PUBLISH that went through is ${largest} bytes`);
    }
  });

  await p.step('topicLength', async () => {
    const base = `${p.prefix}/t/`;
    const l = await largestAccepted(
      (n) => roundTrip(base + 'a'.repeat(n - base.length), Buffer.from('t'), `${p.prefix}/t/#`),
      {
        floor: base.length + 1,
        start: 256,
        cap: 65535,
        maxTrials: 20,
      },
    );
    p.report.limits.topicLength = limitReport(l);
    p.found.topicLength = `round trips on longer topics, ${describeLimit(l, 'bytes')}`;
  });

  await p.step('topicDepth', async () => {
    const levels = (n: number) => `${p.prefix}/d${'/a'.repeat(n - 3)}`;
    const l = await largestAccepted((n) => roundTrip(levels(n), Buffer.from('d'), `${p.prefix}/d/#`), {
      floor: 4,
      start: 16,
      cap: 4096,
      maxTrials: 20,
    });
    p.report.limits.topicDepth = limitReport(l);
    p.found.topicDepth = `round trips on deeper topics, ${describeLimit(l, 'levels')}`;
  });
}
