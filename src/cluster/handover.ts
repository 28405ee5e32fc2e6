import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Broker } from '../broker/broker.js';
import { Connection } from '../broker/connection.js';
import { Message } from '../broker/message.js';
import { Outgoing, type Session } from '../broker/session.js';
import { restoreOutgoing, subscriptionFromStored } from '../broker/store/restore.js';
import { topicMatches } from '../client/match.js';
import { ReasonCode } from '../protocol/reason-codes.js';
import type { QoS, Will } from '../protocol/types.js';
import {
  packMessage,
  parseSnapshot,
  type SessionRecord,
  sessionRecord,
  snapshotSession,
  unpackMessage,
} from './codec.js';
import type { Directory } from './directory.js';
import type { ClusterLink } from './link.js';
import type { SessionRecords } from './store.js';
import { CLAIM_TIMEOUT_MS, HEARTBEAT_MS, REPLY_TIMEOUT_MS } from './timing.js';

/** Compare-and-delete: a node forgets a session's ownership only while it still owns it. */
const DELETE_IF_OWNER = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;
/** Compare-and-set: an adopter takes a dead node's session only if no live node has claimed it. */
const SET_IF_OWNER = `local o = redis.call('GET', KEYS[1]) if o == false or o == ARGV[1] then redis.call('SET', KEYS[1], ARGV[2]) return 1 end return 0`;

/**
 * Where persistent sessions and wills live in a cluster, and how they move between nodes: a
 * client that connects here brings its session from the node that has it (claim), a live node
 * hands it over on request, and a dead node's sessions and wills are adopted by one survivor.
 */
export class SessionHandover implements SessionRecords {
  private readonly replies = new Map<string, (present: boolean) => void>();
  private readonly handingOff = new Set<string>();
  private readonly adopting = new Map<string, Promise<void>>();
  private readonly willOwners = new Map<string, object>();

  constructor(
    private readonly broker: Broker,
    private readonly link: ClusterLink,
    private readonly directory: Directory,
  ) {}

  private get log() {
    return this.broker.log;
  }

  // ---- session records -------------------------------------------------------------------------

  write(session: Session, protocolVersion: number | undefined): void {
    const { redis, keys } = this.link;
    if (session.expiryInterval === 0 || protocolVersion === undefined) {
      void redis.del(keys.session(session.clientId));
      void redis.srem(keys.sessions(this.link.id), session.clientId);
      return;
    }
    void redis.set(keys.session(session.clientId), JSON.stringify(sessionRecord(session, protocolVersion)));
    void redis.sadd(keys.sessions(this.link.id), session.clientId);
  }

  ended(session: Session): void {
    const { redis, keys } = this.link;
    const clientId = session.clientId;
    void redis.srem(keys.sessions(this.link.id), clientId);
    if (this.handingOff.has(clientId)) return;
    void redis.del(keys.session(clientId));
    void redis.eval(DELETE_IF_OWNER, 1, keys.owner(clientId), this.link.id);
  }

  // ---- claims ----------------------------------------------------------------------------------

  async claim(clientId: string, cleanStart: boolean): Promise<void> {
    if (this.link.healthySince === 0) {
      this.log.warning(`Cluster: Redis is unreachable; ${clientId} gets a session on this node only.`);
      return;
    }
    try {
      await withTimeout(this.bringHere(clientId, cleanStart), CLAIM_TIMEOUT_MS, 'claiming the session');
    } catch (err) {
      this.log.warning(`Cluster: could not bring the session of ${clientId} here: ${(err as Error).message}`);
    }
  }

  /** The node asked with takeOver() answered: `present` when it left the session in Redis. */
  answered(rid: string, present: boolean): void {
    this.replies.get(rid)?.(present);
  }

  private async bringHere(clientId: string, cleanStart: boolean): Promise<void> {
    const { redis, keys } = this.link;
    const ownerKey = keys.owner(clientId);
    // Until CLAIM_TIMEOUT_MS: a node that does not answer is dead or dying, and once its
    // heartbeat has lapsed its sessions are adopted (here or elsewhere) and asked for again.
    for (;;) {
      const owner = await redis.get(ownerKey);
      if (owner === null || owner === this.link.id) break;
      if ((await redis.exists(keys.alive(owner))) === 0) await this.adopt(owner);
      else if (await this.takeOver(owner, clientId, cleanStart)) break;
      else await sleep(HEARTBEAT_MS);
    }
    await redis.set(ownerKey, this.link.id);
  }

  /**
   * Asks the node that has the session to close its connection and hand the session over.
   * False when it did not answer in time.
   */
  private async takeOver(owner: string, clientId: string, cleanStart: boolean): Promise<boolean> {
    const { redis, keys } = this.link;
    const rid = randomBytes(8).toString('hex');
    const present = new Promise<boolean>((resolve) => this.replies.set(rid, resolve));
    try {
      await this.link.send(keys.direct(owner), {
        op: 'takeover',
        clientId,
        from: this.link.id,
        clean: cleanStart,
        rid,
      });
      const answer = await Promise.race([present, sleep(REPLY_TIMEOUT_MS).then(() => undefined)]);
      if (answer === undefined) return false;
      if (!answer) return true;
    } finally {
      this.replies.delete(rid);
    }
    const json = await redis.get(keys.handoff(rid));
    if (json === null) throw new Error(`the session of ${clientId} was not found in Redis`);
    const { snapshot, outgoing } = parseSnapshot(json);
    const session = this.restoreSession(snapshot);
    for (const { out, id } of outgoing) {
      this.link.remember(out.message, id);
      restoreOutgoing(session, out);
      this.broker.store.queued(session, out);
    }
    for (const id of snapshot.inboundQos2) session.inboundQos2.add(id);
    await this.link.logHeld(outgoing.map((o) => o.out.message));
    await redis.del(keys.handoff(rid));
    return true;
  }

  /** On the node that has the session: ends its connection here and hands the session on. */
  async handOver(clientId: string, to: string, cleanStart: boolean, rid: string): Promise<void> {
    const session = this.broker.sessions.get(clientId);
    let present = false;
    if (session !== undefined) {
      const conn = session.outlet;
      if (conn instanceof Connection) {
        if (this.broker.log.connectionMessages)
          this.log.notice(`Client ${clientId} connected to node ${to}, closing its connection here.`);
        session.outlet = undefined;
        this.broker.store.commit();
        conn.disconnectWith(ReasonCode.SessionTakenOver, 'session taken over');
      }
      if (!cleanStart && session.expiryInterval > 0) {
        const json = snapshotSession(session, conn instanceof Connection ? conn.version : 4, (m) =>
          this.link.messageId(m),
        );
        void this.link.redis.set(this.link.keys.handoff(rid), json, 'PX', 60_000);
        present = true;
      }
      this.handingOff.add(clientId);
      this.broker.destroySession(session);
      this.handingOff.delete(clientId);
    }
    await this.link.send(this.link.keys.direct(to), { op: 'handed', rid, present });
  }

  private restoreSession(record: SessionRecord): Session {
    const existing = this.broker.sessions.get(record.clientId);
    if (existing !== undefined) this.broker.destroySession(existing);
    const session = this.broker.newSession(record.clientId);
    session.expiryInterval = record.expiryInterval;
    session.expiresAt = record.expiresAt;
    session.username = record.username;
    session.isBridge = record.isBridge;
    this.broker.store.sessionOpened(session, record.protocolVersion);
    for (const s of record.subscriptions) {
      this.broker.subscribe(session, subscriptionFromStored(session, s));
    }
    return session;
  }

  // ---- wills -----------------------------------------------------------------------------------

  willSet(clientId: string, will: Will, connection: object): void {
    this.willOwners.set(clientId, connection);
    const message = Message.fromPublish({ type: 'publish', dup: false, ...will }, clientId, false);
    void this.link.redis.hset(
      this.link.keys.wills(this.link.id),
      clientId,
      packMessage(message, this.link.messageId(message)),
    );
  }

  willDone(clientId: string, connection: object): void {
    if (this.willOwners.get(clientId) !== connection) return;
    this.willOwners.delete(clientId);
    void this.link.redis.hdel(this.link.keys.wills(this.link.id), clientId);
  }

  // ---- adoption --------------------------------------------------------------------------------

  isAdopting(node: string): boolean {
    return this.adopting.has(node);
  }

  /**
   * Takes over a dead node: its persistent sessions come here with every message its streams
   * still hold for them, the wills of its clients are published (once: one node wins the
   * lock), and the rest of the cluster forgets it. A node that loses the lock waits for the
   * winner to finish.
   */
  adopt(node: string): Promise<void> {
    let running = this.adopting.get(node);
    if (running === undefined) {
      running = this.adoptOnce(node).finally(() => this.adopting.delete(node));
      this.adopting.set(node, running);
    }
    return running;
  }

  private async adoptOnce(node: string): Promise<void> {
    const { redis, keys } = this.link;
    const won = await redis.set(keys.adopt(node), this.link.id, 'PX', 60_000, 'NX');
    if (won === null) {
      const until = Date.now() + CLAIM_TIMEOUT_MS;
      while (Date.now() < until && (await redis.hexists(keys.nodes, node)) === 1) await sleep(200);
      return;
    }
    const adopted: Session[] = [];
    for (const clientId of await redis.smembers(keys.sessions(node))) {
      const json = await redis.get(keys.session(clientId));
      if (json === null) continue;
      const taken = await redis.eval(SET_IF_OWNER, 1, keys.owner(clientId), node, this.link.id);
      if (taken !== 1) continue;
      const session = this.restoreSession(JSON.parse(json) as SessionRecord);
      if (session.expiresAt === 0 && session.expiryInterval !== 0xffffffff)
        session.expiresAt = Date.now() + session.expiryInterval * 1000;
      this.broker.store.sessionClosed(session);
      adopted.push(session);
    }
    const held: Message[] = [];
    if (adopted.length > 0) {
      for (const stream of [keys.inbox(node), keys.log(node)])
        for await (const message of this.link.replay(stream)) {
          if (this.requeue(adopted, message)) held.push(message);
        }
    }
    await this.link.logHeld(held);
    const wills = await redis.hgetallBuffer(keys.wills(node));
    for (const value of Object.values(wills)) this.broker.publishWill(unpackMessage(value).message);
    await redis.del(
      keys.inbox(node),
      keys.log(node),
      keys.wills(node),
      keys.subs(node),
      keys.sessions(node),
      keys.stats(node),
    );
    await redis.hdel(keys.nodes, node);
    await this.link.send(keys.broadcast, { op: 'gone', node });
    this.directory.dropNode(node);
    this.log.notice(
      `Cluster: node ${node} is gone; adopted ${adopted.length} sessions, ${held.length} messages and ${Object.keys(wills).length} wills.`,
    );
  }

  /** Queues a replayed message for each adopted session it matches; true if any took it. */
  private requeue(sessions: Session[], message: Message): boolean {
    let taken = false;
    for (const session of sessions) {
      let qos = -1;
      let ids: number[] | undefined;
      for (const sub of session.subscriptions.values()) {
        if (!topicMatches(sub.matchFilter, message.topic) || sub.qos <= qos) continue;
        qos = sub.qos;
        ids = sub.subscriptionIds;
      }
      // QoS 0 (or no matching subscription) was never held for the session: nothing to replay.
      const granted = Math.min(qos, message.qos);
      if (granted <= 0) continue;
      const out = new Outgoing(message, granted as QoS, false, ids);
      restoreOutgoing(session, out);
      this.broker.store.queued(session, out);
      taken = true;
    }
    return taken;
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
