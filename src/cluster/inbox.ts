import { setTimeout as sleep } from 'node:timers/promises';
import type { Broker } from '../broker/broker.js';
import type { FlowSource } from '../broker/flow-control.js';
import { type ClusterLink, READ_BATCH } from './link.js';

/**
 * Reads this node's inbox: the messages other nodes forwarded here, routed to the sessions here
 * in the order they were sent. Each entry stays in Redis until no persistent session here needs
 * its message (tracker.ts).
 */
export class InboxReader {
  /**
   * For flow control: while a session the reader feeds is congested the next batch is not
   * read, and the entries wait in Redis.
   */
  private readonly flow: FlowSource = {
    flowBlockers: 0,
    pauseFeeding: () => undefined,
    resumeFeeding: () => {
      const wake = this.wake;
      this.wake = undefined;
      wake?.();
    },
  };
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly broker: Broker,
    private readonly link: ClusterLink,
    private readonly linkError: (err: Error) => void,
  ) {}

  start(): void {
    this.loop = this.read();
  }

  /**
   * Once the link is stopping: wakes a paused reader and resolves when the loop has ended (a read
   * in progress ends when the reader's connection is closed).
   */
  stop(): Promise<void> {
    this.flow.resumeFeeding();
    return this.loop ?? Promise.resolve();
  }

  private async read(): Promise<void> {
    const inbox = this.link.keys.inbox(this.link.id);
    let last = '0';
    while (!this.link.stopped) {
      if (this.flow.flowBlockers > 0) {
        await new Promise<void>((wake) => {
          this.wake = wake;
        });
        continue;
      }
      let reply: unknown;
      try {
        reply = await this.link.reader.xreadBuffer(
          'COUNT',
          READ_BATCH,
          'BLOCK',
          1000,
          'STREAMS',
          inbox,
          last,
        );
      } catch (err) {
        if (this.link.stopped) return;
        this.linkError(err as Error);
        await sleep(500);
        continue;
      }
      if (reply === null) continue;
      const entries = (reply as Array<[Buffer, Array<[Buffer, Buffer[]]>]>)[0]![1];
      for (const [rawId, fields] of entries) {
        last = rawId.toString();
        this.deliver(inbox, last, fields);
      }
    }
  }

  private deliver(inbox: string, entryId: string, fields: Buffer[]): void {
    const { message, fields: f } = this.link.entry(fields);
    const groups = f.get('g')!.toString();
    this.link.tracker.begin(message, inbox, entryId);
    this.broker.source = this.flow;
    this.broker.route(message, f.get('l')!.toString() === '1', groups === '' ? [] : groups.split('\u0001'));
    this.broker.source = undefined;
    this.link.tracker.routed(message);
  }
}
