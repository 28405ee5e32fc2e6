import { describe, expect, it } from 'vitest';
import { decodeLine, encodeLine, fromPacket } from '../../src/record/format.js';

describe('the recording format', () => {
  it('round-trips binary payloads and binary properties byte for byte', () => {
    const payload = Buffer.from([0xff, 0x00, 0xc3, 0x28, 0x7f]);
    const m = fromPacket(
      {
        type: 'publish',
        topic: 'a/b',
        payload,
        qos: 2,
        retain: true,
        dup: false,
        packetId: 7,
        properties: {
          correlationData: Buffer.from([1, 2, 255]),
          contentType: 'application/octet-stream',
          userProperties: [
            ['k', 'v'],
            ['k', 'w'],
          ],
          subscriptionIdentifiers: [3],
          topicAlias: 2,
        },
      },
      Date.parse('2026-01-02T03:04:05.678Z'),
    );
    const line = encodeLine(m);
    const doc = JSON.parse(line);
    expect(doc).toMatchObject({
      time: '2026-01-02T03:04:05.678Z',
      topic: 'a/b',
      qos: 2,
      retain: true,
      encoding: 'base64',
      payload: payload.toString('base64'),
    });
    // The recorder's own subscription and alias are not part of the message.
    expect(Object.keys(doc.properties).sort()).toEqual(['contentType', 'correlationData', 'userProperties']);
    const back = decodeLine(line, 'f:1');
    expect(back.payload.equals(payload)).toBe(true);
    expect(back.properties?.correlationData?.equals(Buffer.from([1, 2, 255]))).toBe(true);
    expect(back).toEqual({ ...m, properties: { ...m.properties } });
  });

  it('keeps a UTF-8 payload readable', () => {
    const line = encodeLine({ timeMs: 0, topic: 't', payload: Buffer.from('23 °C'), qos: 0, retain: false });
    expect(JSON.parse(line)).toMatchObject({ payload: '23 °C', encoding: 'utf8' });
  });

  it.each([
    ['not JSON', 'nope', /f:3: not a JSON line/],
    ['no time', '{"topic":"t","payload":""}', /"time"/],
    ['no topic', '{"time":"2026-01-01T00:00:00Z","payload":""}', /"topic"/],
    ['a bad QoS', '{"time":"2026-01-01T00:00:00Z","topic":"t","payload":"","qos":3}', /"qos"/],
    [
      'a bad encoding',
      '{"time":"2026-01-01T00:00:00Z","topic":"t","payload":"","encoding":"hex"}',
      /"encoding"/,
    ],
  ])('a line with %s is a usage error naming FILE:LINE', (_name, line, message) => {
    expect(() => decodeLine(line, 'f:3')).toThrow(message);
  });
});
