import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { messageJson, payloadOf } from '../../src/output/json.js';
import type { ReceivedMessage } from '../../src/output/message.js';
import { textLine } from '../../src/output/text.js';

const base: ReceivedMessage = {
  topic: 't',
  payload: Buffer.from('hi'),
  qos: 0,
  retain: false,
  packetId: 0,
  receivedNs: 1_700_000_000_123_000_000n,
};

describe('--json', () => {
  it('prints text payloads as text, with topic, qos, retain and the ISO arrival time', () => {
    expect(JSON.parse(messageJson(base, false))).toEqual({
      topic: 't',
      payload: 'hi',
      qos: 0,
      retain: false,
      received: '2023-11-14T22:13:20.123Z',
    });
  });

  it('prints invalid UTF-8 as base64 with "encoding":"base64"', () => {
    const doc = JSON.parse(messageJson({ ...base, payload: Buffer.from([0xff, 0, 0xc3]) }, false));
    expect(doc.encoding).toBe('base64');
    expect(doc.payload).toBe('/wDD');
  });

  it('round-trips any bytes exactly', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const payload = Buffer.from(bytes);
        const doc = JSON.parse(messageJson({ ...base, payload }, false));
        expect(payloadOf(doc).equals(payload)).toBe(true);
      }),
    );
  });

  it('includes MQTT 5 properties, binary ones in base64', () => {
    const doc = JSON.parse(
      messageJson(
        {
          ...base,
          properties: {
            contentType: 'a/b',
            correlationData: Buffer.from([1, 2]),
            userProperties: [['k', 'v']],
          },
        },
        false,
      ),
    );
    expect(doc.properties).toEqual({
      contentType: 'a/b',
      correlationData: 'AQI=',
      userProperties: [['k', 'v']],
    });
  });

  it('--pretty indents', () => {
    expect(messageJson(base, true)).toContain('\n  "topic": "t"');
  });
});

describe('text output', () => {
  it('is the payload alone, or "topic payload" with -v and "(null)" for empty payloads', () => {
    expect(textLine(base, false).toString()).toBe('hi');
    expect(textLine(base, true).toString()).toBe('t hi');
    expect(textLine({ ...base, payload: Buffer.alloc(0) }, true).toString()).toBe('t (null)');
  });
});
