import { ProtocolError } from './errors.js';
import { ReasonCode } from './reason-codes.js';
import { readUtf8 } from './utf8.js';

const EMPTY = Buffer.alloc(0);

/**
 * A cursor over one packet body, `buf[pos, end)`. The body may be a slice of a larger chunk, so
 * every read is bounded by `end`, never by the buffer's length: reading past it means the packet
 * is shorter than its fields require, which is malformed.
 */
export class Reader {
  buf: Buffer = EMPTY;
  pos = 0;
  end = 0;

  reset(buf: Buffer, pos: number, end: number): void {
    this.buf = buf;
    this.pos = pos;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  u8(): number {
    if (this.pos >= this.end) throw tooShort();
    return this.buf[this.pos++]!;
  }

  u16(): number {
    const p = this.pos;
    if (p + 2 > this.end) throw tooShort();
    this.pos = p + 2;
    return (this.buf[p]! << 8) | this.buf[p + 1]!;
  }

  u32(): number {
    const p = this.pos;
    if (p + 4 > this.end) throw tooShort();
    this.pos = p + 4;
    return this.buf.readUInt32BE(p);
  }

  /** Variable Byte Integer: at most four bytes (MQTT 5.0 section 1.5.5). */
  varint(): number {
    let value = 0;
    let multiplier = 1;
    for (let i = 0; i < 4; i++) {
      const b = this.u8();
      value += (b & 0x7f) * multiplier;
      if (b < 0x80) return value;
      multiplier *= 128;
    }
    throw new ProtocolError('variable byte integer longer than 4 bytes', ReasonCode.MalformedPacket);
  }

  /** A two-byte length followed by that many bytes of UTF-8. */
  utf8(): string {
    const n = this.u16();
    const start = this.pos;
    if (start + n > this.end) throw tooShort();
    this.pos = start + n;
    return readUtf8(this.buf, start, start + n);
  }

  /**
   * utf8(), but `last` itself when the bytes spell it: no new string. Only ASCII bytes match (each
   * is then one character), so bytes that decode to another string never do.
   */
  utf8Like(last: string): string {
    const n = this.u16();
    const start = this.pos;
    if (start + n > this.end) throw tooShort();
    this.pos = start + n;
    if (last.length === n && n > 0) {
      const buf = this.buf;
      let i = 0;
      for (; i < n; i++) {
        const b = buf[start + i]!;
        if (b >= 0x80 || b !== last.charCodeAt(i)) break;
      }
      if (i === n) return last;
    }
    return readUtf8(this.buf, start, start + n);
  }

  /**
   * A two-byte length followed by that many bytes, copied: such fields (passwords, will payloads,
   * correlation data) tend to outlive the packet, and a view would pin the whole chunk.
   */
  binary(): Buffer {
    const n = this.u16();
    const start = this.pos;
    if (start + n > this.end) throw tooShort();
    this.pos = start + n;
    return Buffer.from(this.buf.subarray(start, start + n));
  }

  /** The rest of the body, as a view. */
  rest(): Buffer {
    const view = this.buf.subarray(this.pos, this.end);
    this.pos = this.end;
    return view;
  }
}

function tooShort(): ProtocolError {
  return new ProtocolError('packet is shorter than its fields require', ReasonCode.MalformedPacket);
}
