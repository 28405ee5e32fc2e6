/**
 * What the client needs from a connection, whatever carries it (TCP, TLS, WebSocket). Writes made
 * in one event-loop turn leave in one batch: many small MQTT packets become one syscall or one
 * WebSocket frame instead of one each.
 */
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';

export interface TransportEvents {
  data: [chunk: Buffer];
  /** The peer or the network ended the connection; emitted once, after 'error' if there was one. */
  close: [];
  error: [err: Error];
  /** The outgoing buffer drained below the high-water mark after write() returned false. */
  drain: [];
}

export interface Transport extends EventEmitter<TransportEvents> {
  /** Queues bytes; `done` runs once they are handed to the OS. Returns false when the caller should wait for 'drain'. */
  write(chunk: Buffer, done?: (err?: Error | null) => void): boolean;
  /** Flushes what is queued, then closes the sending side. */
  end(): void;
  /** Closes at once, dropping anything unsent. */
  destroy(): void;
  /** Stops reading (the peer's sending backs up in TCP) until resume(). */
  pause(): void;
  resume(): void;
  readonly closed: boolean;
  /** Bytes written now would still be sent: not closed, and end() not called. */
  readonly writable: boolean;
}

/** A Transport over any Node Duplex stream: net.Socket, tls.TLSSocket, or a WebSocket stream. */
export class StreamTransport extends EventEmitter<TransportEvents> implements Transport {
  private corked = false;
  closed = false;

  constructor(private readonly stream: Duplex) {
    super();
    stream.on('data', (chunk: Buffer) => this.emit('data', chunk));
    stream.on('drain', () => this.emit('drain'));
    stream.on('error', (err) => this.emit('error', err));
    stream.on('close', () => {
      if (this.closed) return;
      this.closed = true;
      this.emit('close');
    });
  }

  get writable(): boolean {
    return !this.closed && !this.stream.destroyed && !this.stream.writableEnded;
  }

  write(chunk: Buffer, done?: (err?: Error | null) => void): boolean {
    if (!this.writable) {
      done?.(new Error('connection is closed'));
      return false;
    }
    if (!this.corked) {
      // Everything written until the end of this turn goes out in one writev.
      this.corked = true;
      this.stream.cork();
      process.nextTick(() => {
        this.corked = false;
        this.stream.uncork();
      });
    }
    return this.stream.write(chunk, done);
  }

  end(): void {
    if (this.corked) {
      this.corked = false;
      this.stream.uncork();
    }
    this.stream.end();
  }

  destroy(): void {
    this.stream.destroy();
  }

  pause(): void {
    this.stream.pause();
  }

  resume(): void {
    this.stream.resume();
  }
}
