import { Duplex } from 'node:stream';
import { describe, expect, it } from 'vitest';
import {
  ackEntry,
  encodeSharedHeader,
  entryBytes,
  entryLength,
  type HeaderParts,
  releaseStaged,
  type WriteEntry,
  writeBatch as writeEntries,
} from '../../src/broker/write-batch.js';

/** Every entry of `entries`. */
const writeBatch = (socket: Duplex, entries: WriteEntry[], bytes: number) =>
  writeEntries(socket, entries, entries.length, bytes);

/** A socket stand-in that records every write; `hold` keeps writes pending, as a full socket does. */
class RecordingSocket extends Duplex {
  readonly writes: Buffer[] = [];
  private readonly pending: Array<() => void> = [];
  constructor(private readonly hold: boolean) {
    super();
  }
  override _read(): void {}
  release(): void {
    for (const cb of this.pending.splice(0)) cb();
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.writes.push(chunk);
    if (this.hold) this.pending.push(cb);
    else cb();
  }
  override _writev(chunks: Array<{ chunk: Buffer }>, cb: () => void): void {
    for (const c of chunks) this.writes.push(c.chunk);
    if (this.hold) this.pending.push(cb);
    else cb();
  }
}

const bufs = (...parts: string[]) => parts.map((p) => Buffer.from(p));

describe('writeBatch', () => {
  it('writes a turn of small packets as one buffer, in order', () => {
    const s = new RecordingSocket(false);
    const parts = bufs('hdr1', 'payload1', 'hdr2', 'payload2');
    writeBatch(s, parts, 24);
    expect(s.writes).toHaveLength(1);
    expect(s.writes[0]!.toString()).toBe('hdr1payload1hdr2payload2');
  });

  it('never reuses a region the socket still holds', () => {
    const s = new RecordingSocket(true);
    writeBatch(s, bufs('aaaa', 'bbbb'), 8);
    writeBatch(s, bufs('cccc', 'dddd'), 8);
    s.release();
    expect(s.writes.map((b) => b.toString())).toEqual(['aaaabbbb', 'ccccdddd']);
  });

  it('writes a single buffer as it is, without copying', () => {
    const s = new RecordingSocket(false);
    const only = Buffer.from('alone');
    writeBatch(s, [only], only.length);
    expect(s.writes[0]).toBe(only);
  });

  it('passes large turns through without copying the payloads', () => {
    const s = new RecordingSocket(false);
    const big = Buffer.alloc(100 * 1024, 1);
    const header = Buffer.from([0x30, 0x00]);
    writeBatch(s, [header, big], header.length + big.length);
    expect(s.writes).toHaveLength(2);
    expect(s.writes[1]).toBe(big);
  });
});

describe('writeBatch with packet ids and acknowledgements as numbers', () => {
  it('writes a packet id as two bytes and an acknowledgement as four, in place', () => {
    const s = new RecordingSocket(false);
    const header = Buffer.from([0x32, 0x09, 0x00, 0x01, 0x74]);
    writeBatch(
      s,
      [ackEntry(0x40, 0x1234), header, 0xbeef, Buffer.from('pay'), ackEntry(0x62, 7)],
      4 + 5 + 2 + 3 + 4,
    );
    expect([...Buffer.concat(s.writes)]).toEqual([
      0x40, 0x02, 0x12, 0x34, 0x32, 0x09, 0x00, 0x01, 0x74, 0xbe, 0xef, 0x70, 0x61, 0x79, 0x62, 0x02, 0x00,
      0x07,
    ]);
  });

  it('writes a turn of one acknowledgement', () => {
    const s = new RecordingSocket(false);
    writeBatch(s, [ackEntry(0x70, 65535)], 4);
    expect([...Buffer.concat(s.writes)]).toEqual([0x70, 0x02, 0xff, 0xff]);
  });

  it('writes only the first `count` entries', () => {
    const s = new RecordingSocket(false);
    writeEntries(s, [Buffer.from('ab'), Buffer.from('cd'), Buffer.from('stale')], 2, 4);
    expect(Buffer.concat(s.writes).toString()).toBe('abcd');
  });
});

/** The shared header of a QoS 0 PUBLISH to `topic` with no payload, as a connection gets it. */
function shared(topic: string): HeaderParts {
  const parts: HeaderParts = { header: Buffer.alloc(0), afterPacketId: undefined };
  const packet = {
    type: 'publish',
    topic,
    payload: Buffer.alloc(0),
    qos: 0,
    retain: false,
    dup: false,
  } as const;
  encodeSharedHeader(packet, 4, parts);
  return parts;
}

describe('staged headers', () => {
  it('are numbers written in place among the other entries, each with its own bytes', () => {
    releaseStaged();
    const s = new RecordingSocket(false);
    const first = shared('a').header;
    const second = shared('bc').header;
    expect(typeof first).toBe('number');
    const entries: WriteEntry[] = [first, Buffer.from('p1'), second, 0x0102, Buffer.from('p2')];
    expect(entries.map(entryLength)).toEqual([5, 2, 6, 2, 2]);
    writeBatch(s, entries, 17);
    expect([...Buffer.concat(s.writes)]).toEqual([
      0x30, 0x03, 0x00, 0x01, 0x61, 0x70, 0x31, 0x30, 0x04, 0x00, 0x02, 0x62, 0x63, 0x01, 0x02, 0x70, 0x32,
    ]);
    expect([...entryBytes(second)]).toEqual([0x30, 0x04, 0x00, 0x02, 0x62, 0x63]);
  });

  it('are Buffers of their own over 255 bytes or once the staging buffers are full, until released', () => {
    releaseStaged();
    expect(Buffer.isBuffer(shared('t'.repeat(300)).header)).toBe(true);
    // 1 + 2 (remaining length 252) + 2 + 250 bytes: the most that is staged; 2,056 fill one buffer.
    const topic = (n: number) => String(n).padStart(250, 'x');
    const made: number[] = [];
    for (let h = shared(topic(0)).header; typeof h === 'number'; h = shared(topic(made.length)).header)
      made.push(h);
    expect(made.length).toBeGreaterThan(6 * 2056);
    // Each, in whichever buffer, still holds its own bytes: none was handed out twice.
    expect(new Set(made).size).toBe(made.length);
    made.forEach((h, n) => {
      expect(entryBytes(h).subarray(5).toString()).toBe(topic(n));
    });
    releaseStaged();
    expect(typeof shared(topic(0)).header).toBe('number');
    releaseStaged();
  });
});

describe('writeBatch with a large turn', () => {
  it('coalesces 20,000 small buffers into a few region writes, in order', () => {
    const s = new RecordingSocket(false);
    const parts = Array.from({ length: 20_000 }, (_, i) => Buffer.from(`${i};`));
    const total = parts.reduce((a, b) => a + b.length, 0);
    writeBatch(s, parts, total);
    expect(s.writes.length).toBeLessThan(10);
    expect(Buffer.concat(s.writes).toString()).toBe(parts.map(String).join(''));
  });

  it('keeps large payloads by reference between coalesced runs', () => {
    const s = new RecordingSocket(true);
    const big = Buffer.alloc(20 * 1024, 9);
    const parts = [
      Buffer.from('h1'),
      Buffer.from('p1'),
      Buffer.from('h2'),
      big,
      ...Array.from({ length: 40_000 }, () => Buffer.from('x')),
    ];
    writeBatch(s, parts, 2 + 2 + 2 + big.length + 40_000);
    writeBatch(s, [Buffer.from('later'), Buffer.from('!')], 6);
    s.release();
    expect(s.writes).toContain(big);
    expect(Buffer.concat(s.writes).toString('latin1')).toBe(
      `h1p1h2${big.toString('latin1')}${'x'.repeat(40_000)}later!`,
    );
  });
});
