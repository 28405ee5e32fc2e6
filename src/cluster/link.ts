import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Message } from '../broker/message.js';
import type { ClusterSettings } from '../config/broker-config.js';
import { messageFrom, messageHeader, packMessage, unpackMessage } from './codec.js';
import { ClusterKeys } from './keys.js';
import { connectRedis, openRedis, type Redis } from './redis.js';
import { DeliveryTracker } from './tracker.js';

/** Stream entries read from Redis at a time. */
export const READ_BATCH = 1000;

/** What nodes tell each other on the control channels (keys.broadcast, keys.direct). */
export type Control =
  | { op: 'sub' | 'unsub'; node: string; entry: string }
  | { op: 'retained'; node: string; topic: string }
  | { op: 'gone'; node: string }
  | { op: 'takeover'; clientId: string; from: string; clean: boolean; rid: string }
  | { op: 'handed'; rid: string; present: boolean };

/** A message read back from a stream entry, with the entry's other fields. */
export interface StreamEntry {
  message: Message;
  fields: Map<string, Buffer>;
}

/**
 * One node's I/O with the cluster's Redis: its connections, the streams that carry and keep
 * messages (entries are deleted once no session here needs them, see tracker.ts), retained
 * messages and control messages. A message keeps the cluster-wide id it was given on the node
 * that published it, wherever it goes (codec.ts).
 */
export class ClusterLink {
  readonly id = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  readonly keys: ClusterKeys;
  readonly redis: Redis;
  /** Control channels: a subscribed connection can do nothing else. */
  readonly subscriber: Redis;
  /** This node's inbox: its blocking reads would hold up commands. */
  readonly reader: Redis;
  readonly tracker: DeliveryTracker;
  /** When the command link last came up; 0 while Redis is unreachable. */
  healthySince = 0;
  stopped = false;
  private seq = 0;
  private readonly messageIds = new WeakMap<Message, string>();
  /** Stream entries no session needs any more, deleted together once per event-loop turn. */
  private releasing = new Map<string, string[]>();

  constructor(private readonly settings: ClusterSettings) {
    this.keys = new ClusterKeys(settings.prefix);
    this.redis = connectRedis(settings, 'cmd', this.id);
    this.subscriber = connectRedis(settings, 'sub', this.id);
    this.reader = connectRedis(settings, 'inbox', this.id);
    this.tracker = new DeliveryTracker((stream, entryId) => this.release(stream, entryId));
  }

  get clients(): Redis[] {
    return [this.redis, this.subscriber, this.reader];
  }

  async open(): Promise<void> {
    try {
      await Promise.all(this.clients.map((c) => openRedis(c, this.settings.url)));
    } catch (err) {
      for (const c of this.clients) c.disconnect();
      throw err;
    }
  }

  messageId(message: Message): string {
    let id = this.messageIds.get(message);
    if (id === undefined) {
      id = `${this.id}:${++this.seq}`;
      this.messageIds.set(message, id);
    }
    return id;
  }

  /** A message that came from Redis keeps the id it was given where it was published. */
  remember(message: Message, id: string): void {
    this.messageIds.set(message, id);
  }

  send(channel: string, msg: Control): Promise<unknown> {
    return this.redis.publish(channel, JSON.stringify(msg));
  }

  // ---- streams ---------------------------------------------------------------------------------

  /** Forwards a message to a node's inbox: `plain` when it has plain subscriptions, `groups` it won. */
  appendInbox(
    node: string,
    header: string,
    message: Message,
    plain: boolean,
    groups: string[],
  ): Promise<unknown> {
    return this.redis.xadd(
      this.keys.inbox(node),
      '*',
      'h',
      header,
      'p',
      message.payload,
      'l',
      plain ? '1' : '0',
      'g',
      groups.join('\u0001'),
    );
  }

  /**
   * Writes a message that persistent sessions here hold, and that no stream keeps yet, to this
   * node's log; undefined when it needs no entry.
   */
  appendLog(message: Message, header?: string): Promise<void> | undefined {
    const log = this.keys.log(this.id);
    if (!this.tracker.needsLog(message, log)) return undefined;
    return this.redis
      .xadd(log, '*', 'h', header ?? messageHeader(message, this.messageId(message)), 'p', message.payload)
      .then((entryId) => this.tracker.logged(message, log, entryId!));
  }

  async logHeld(messages: Message[]): Promise<void> {
    const writes: Promise<void>[] = [];
    for (const message of messages) {
      const written = this.appendLog(message);
      if (written !== undefined) writes.push(written);
    }
    await Promise.all(writes);
  }

  /** Decodes a stream entry's fields. */
  entry(fields: Buffer[]): StreamEntry {
    const map = new Map<string, Buffer>();
    for (let i = 0; i + 1 < fields.length; i += 2) map.set(fields[i]!.toString(), fields[i + 1]!);
    const { message, id } = messageFrom(map.get('h')!.toString(), map.get('p')!);
    this.remember(message, id);
    return { message, fields: map };
  }

  /** Every message a stream holds, oldest first. */
  async *replay(stream: string): AsyncGenerator<Message> {
    let from = '-';
    for (;;) {
      const page = await this.redis.xrangeBuffer(stream, from, '+', 'COUNT', READ_BATCH);
      for (const [, fields] of page) yield this.entry(fields).message;
      if (page.length < READ_BATCH) return;
      from = `(${page[page.length - 1]![0].toString()}`;
    }
  }

  private release(stream: string, entryId: string): void {
    if (this.releasing.size === 0) setImmediate(() => this.flushReleases());
    const ids = this.releasing.get(stream);
    if (ids === undefined) this.releasing.set(stream, [entryId]);
    else ids.push(entryId);
  }

  private flushReleases(): void {
    const releasing = this.releasing;
    this.releasing = new Map();
    for (const [stream, ids] of releasing) void this.redis.xdel(stream, ...ids);
  }

  // ---- retained messages -----------------------------------------------------------------------

  /** Stores (or, with an empty payload, removes) a retained message and tells the other nodes. */
  shareRetained(message: Message): Promise<unknown> {
    const written =
      message.payload.length === 0
        ? this.redis.hdel(this.keys.retained, message.topic)
        : this.redis.hset(this.keys.retained, message.topic, packMessage(message, this.messageId(message)));
    void this.send(this.keys.broadcast, { op: 'retained', node: this.id, topic: message.topic });
    return written;
  }

  async allRetained(): Promise<Message[]> {
    const all = await this.redis.hgetallBuffer(this.keys.retained);
    return Object.values(all).map((value) => unpackMessage(value).message);
  }

  /** The retained message on a topic; undefined when there is none. */
  async retained(topic: string): Promise<Message | undefined> {
    const value = await this.redis.hgetBuffer(this.keys.retained, topic);
    return value === null ? undefined : unpackMessage(value).message;
  }
}
