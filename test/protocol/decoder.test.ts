import { describe, expect, it } from 'vitest';
import { Decoder } from '../../src/protocol/decoder.js';
import { ProtocolError } from '../../src/protocol/errors.js';
import { ReasonCode } from '../../src/protocol/reason-codes.js';
import type { Packet, ProtocolVersion } from '../../src/protocol/types.js';

/** What a sink that takes plain acknowledgements without packet objects is handed. */
function decodeAcks(input: number[], version: ProtocolVersion): Array<Packet | [number, number]> {
  const got: Array<Packet | [number, number]> = [];
  const sink = {
    onPacket: (p: Packet) => got.push(p),
    onAck: (type: number, id: number) => got.push([type, id]),
  };
  new Decoder(sink, { protocolVersion: version }).push(Buffer.from(input));
  return got;
}

describe('Decoder with a sink that takes acknowledgements by type and id', () => {
  it('hands on every 3.1.1 acknowledgement so, in order among the other packets', () => {
    const input = [0x40, 2, 0, 1, 0x50, 2, 1, 2, 0xc0, 0, 0x62, 2, 0, 3, 0x70, 2, 0xff, 0xff];
    expect(decodeAcks(input, 4)).toEqual([[4, 1], [5, 258], { type: 'pingreq' }, [6, 3], [7, 65535]]);
  });

  it('hands on a 5.0 acknowledgement with a reason code or properties as a packet', () => {
    const input = [0x40, 2, 0, 1, 0x50, 3, 0, 2, 0x80, 0x40, 4, 0, 3, 0, 0];
    expect(decodeAcks(input, 5)).toEqual([
      [4, 1],
      { type: 'pubrec', packetId: 2, reasonCode: 0x80 },
      { type: 'puback', packetId: 3, reasonCode: 0 },
    ]);
  });

  it('[MQTT-2.3.1-1] still finds packet identifier 0 malformed, and PUBREL flags other than 0b0010', () => {
    for (const input of [
      [0x40, 2, 0, 0],
      [0x60, 2, 0, 1],
    ]) {
      let error: unknown;
      try {
        decodeAcks(input, 4);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ProtocolError);
      expect((error as ProtocolError).reasonCode).toBe(ReasonCode.MalformedPacket);
    }
  });
});
