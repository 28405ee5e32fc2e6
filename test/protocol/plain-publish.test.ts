import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encode } from '../../src/protocol/encoder.js';
import { stringSize } from '../../src/protocol/fields.js';
import { plainPublishSize, writePlainPublish } from '../../src/protocol/plain-publish.js';
import type { QoS } from '../../src/protocol/types.js';
import { mqttString, topicName } from './arbitraries.js';

const topic = fc.oneof(
  topicName,
  mqttString(200).filter((s) => s.length > 0),
);
const payload = fc.oneof(
  fc.uint8Array({ maxLength: 100 }),
  fc.uint8Array({ minLength: 60, maxLength: 3000 }),
);

describe('writePlainPublish', () => {
  it('writes what encode() makes of the same PUBLISH, in 3.1.1 and 5.0, at every QoS, in place', () => {
    fc.assert(
      fc.property(
        topic,
        payload,
        fc.constantFrom<QoS>(0, 1, 2),
        fc.boolean(),
        fc.constantFrom(4, 5),
        fc.integer({ min: 1, max: 0xffff }),
        fc.nat(40),
        (name, bytes, qos, retain, version, packetId, at) => {
          const data = Buffer.from(bytes);
          const v5 = version === 5;
          const expected = encode(
            {
              type: 'publish',
              topic: name,
              payload: data,
              qos,
              retain,
              dup: false,
              packetId: qos > 0 ? packetId : undefined,
            },
            version,
          );
          const topicSize = stringSize(name);
          expect(plainPublishSize(topicSize, data.length, qos > 0, v5)).toBe(expected.length);
          const buf = Buffer.alloc(at + expected.length + 8, 0xee);
          const first = 0x30 | (qos << 1) | (retain ? 1 : 0);
          const end = writePlainPublish(buf, at, first, name, topicSize, packetId, v5, data);
          expect(end).toBe(at + expected.length);
          expect(buf.subarray(at, end)).toEqual(expected);
          expect(buf.subarray(0, at).every((b) => b === 0xee)).toBe(true);
          expect(buf.subarray(end).every((b) => b === 0xee)).toBe(true);
        },
      ),
    );
  });

  it('sizes a packet past the largest remaining length as -1', () => {
    expect(plainPublishSize(10, 268_435_455 - 10, false, false)).toBe(268_435_455 + 5);
    expect(plainPublishSize(10, 268_435_455 - 10, false, true)).toBe(-1);
    expect(plainPublishSize(10, 268_435_455 - 11, true, false)).toBe(-1);
  });
});
