import { readFile } from 'node:fs/promises';
import { ConfigError } from '../../errors.js';
import { filterCovers, filtersOverlap } from '../../topics/overlap.js';
import { fileProblem } from '../startup-errors.js';

/**
 * mosquitto's acl_file, with the semantics observed on mosquitto 2.0.11 (test/broker/auth/acl-cases.ts
 * proves each rule against the real broker):
 * - `topic [read|write|readwrite|deny] TOPIC` before any `user` line applies to anonymous clients
 *   only; after `user NAME` it applies to that user (a user may have several blocks: they add up).
 * - `pattern [access] TOPIC` applies to every client, wherever it stands; `%c` and `%u` are replaced
 *   by the client id and username anywhere in the topic, not only as whole levels. A pattern with
 *   `%u` never applies to an anonymous client. When the client id or username contains `+` or `#`,
 *   no pattern grants anything.
 * - The client's own list (its user block, or the anonymous list) is decided first: a matching
 *   `deny` refuses, else a matching grant allows, regardless of order in the file. Only when the
 *   own list matches nothing do the patterns decide, the same way. Nothing matching means refused.
 * - Deliveries are checked against the ACL one by one (retained ones too), so a subscription to
 *   `#` receives exactly what the client may read. mosquitto grants every SUBSCRIBE; mqx refuses
 *   a filter under which the client could never read anything (canSubscribe), so the client
 *   learns it from SUBACK instead of waiting for messages that never come (README).
 * - Nobody publishes to a topic that starts with `$SYS`, whatever the ACL says, except a bridge's
 *   `$SYS/broker/connection/ID/state`, which the ACL then decides (isBrokerOnlyTopic).
 * Parsing follows mosquitto too: only spaces separate words, `#` comments only in the first
 * column, the access word is optional (one word after `topic` is the topic), the rest of the line
 * is the topic (inner spaces included), and errors stop the load with FILE:LINE.
 */

export type AclAccess = 'read' | 'write' | 'readwrite' | 'deny';

const READ = 1;
const WRITE = 2;
const ACCESS_BITS: Record<AclAccess, number> = { read: READ, write: WRITE, readwrite: READ | WRITE, deny: 0 };

export interface AclRule {
  access: AclAccess;
  topic: string;
  /** 1-based line in the file. */
  line: number;
}

/** A rule ready to match: the topic filter split into levels once. */
interface CompiledRule {
  bits: number;
  deny: boolean;
  levels: string[];
}

function compile(rule: AclRule, topic = rule.topic): CompiledRule {
  return { bits: ACCESS_BITS[rule.access], deny: rule.access === 'deny', levels: topic.split('/') };
}

/** MQTT filter matching over the topic string, without allocating (it runs on every delivery). */
function matches(levels: readonly string[], topic: string): boolean {
  // Wildcards in the first level never match $-topics ($SYS/...), as in MQTT 3.1.1 section 4.7.2.
  if (topic.charCodeAt(0) === 0x24 && (levels[0] === '+' || levels[0] === '#')) return false;
  let pos = 0; // start of the current topic level; -1 once the topic has no more levels
  for (const level of levels) {
    if (level === '#') return true; // also matches the parent: "a/#" matches "a"
    if (pos < 0) return false;
    const slash = topic.indexOf('/', pos);
    const end = slash < 0 ? topic.length : slash;
    if (level !== '+' && (end - pos !== level.length || !topic.startsWith(level, pos))) return false;
    pos = slash < 0 ? -1 : slash + 1;
  }
  return pos < 0;
}

/** true: granted; false: denied; undefined: no rule of this list matches. */
function decide(rules: readonly CompiledRule[], topic: string, need: number): boolean | undefined {
  let granted = false;
  for (const rule of rules) {
    if (!matches(rule.levels, topic)) continue;
    if (rule.deny) return false;
    if (rule.bits & need) granted = true;
  }
  // A rule that matches without the needed access (read-only, when publishing) decides nothing.
  return granted ? true : undefined;
}

/**
 * The SUBSCRIBE counterpart of decide, over a whole filter: false when a deny rule covers it,
 * true when a read grant overlaps it, undefined when this list can decide no topic under it.
 */
function decideFilter(rules: readonly CompiledRule[], levels: readonly string[]): boolean | undefined {
  let granted = false;
  for (const rule of rules) {
    if (rule.deny) {
      if (filterCovers(rule.levels, levels)) return false;
    } else if (rule.bits & READ && !granted) {
      granted = filtersOverlap(rule.levels, levels);
    }
  }
  return granted ? true : undefined;
}

export function isSysTopic(topic: string): boolean {
  // mosquitto compares the first four characters only: "$SYSTEM" is refused too.
  return topic.startsWith('$SYS');
}

/**
 * Topics no client may publish to: $SYS, except a bridge's own state topic
 * `$SYS/broker/connection/ID/state`, which mosquitto lets bridges write (their notifications and
 * the will that sets it to 0), so that mosquitto and mqx bridges can connect.
 */
export function isBrokerOnlyTopic(topic: string): boolean {
  return isSysTopic(topic) && !/^\$SYS\/broker\/connection\/[^/+#]+\/state$/.test(topic);
}

/** The ACL of one client: its own rules and the patterns with %c / %u already substituted. */
export class ClientAcl {
  constructor(
    readonly clientId: string,
    readonly username: string | undefined,
    private readonly own: readonly CompiledRule[],
    private readonly patterns: readonly CompiledRule[],
  ) {}

  private check(topic: string, need: number): boolean {
    return decide(this.own, topic, need) ?? decide(this.patterns, topic, need) ?? false;
  }

  canPublish(topic: string): boolean {
    return !isBrokerOnlyTopic(topic) && this.check(topic, WRITE);
  }

  /**
   * False when no topic under `filter` (without `$share/G/`) could ever be read: a deny covers
   * it, or no read grant overlaps it. A filter that overlaps a grant is accepted, and canReceive
   * then filters each message, as for mosquitto.
   */
  canSubscribe(filter: string): boolean {
    const levels = filter.split('/');
    return decideFilter(this.own, levels) ?? decideFilter(this.patterns, levels) ?? false;
  }

  canReceive(topic: string): boolean {
    return this.check(topic, READ);
  }
}

/** Compiled client ACLs kept per client id; a connected client's checks then cost no compilation. */
const CLIENT_CACHE_LIMIT = 4096;

export class Acl {
  private readonly anonymous: CompiledRule[];
  private readonly users = new Map<string, CompiledRule[]>();
  private readonly clients = new Map<string, ClientAcl>();

  constructor(
    readonly path: string,
    anonymous: readonly AclRule[],
    users: ReadonlyMap<string, readonly AclRule[]>,
    private readonly patterns: readonly AclRule[],
  ) {
    this.anonymous = anonymous.map((r) => compile(r));
    for (const [user, rules] of users)
      this.users.set(
        user,
        rules.map((r) => compile(r)),
      );
  }

  /** The rules of one client; keep it for the connection's lifetime to skip the cache lookup. */
  forClient(clientId: string, username: string | undefined): ClientAcl {
    const cached = this.clients.get(clientId);
    if (cached !== undefined && cached.username === username) return cached;
    const own = username === undefined ? this.anonymous : (this.users.get(username) ?? []);
    const acl = new ClientAcl(clientId, username, own, this.substitute(clientId, username));
    this.clients.delete(clientId);
    this.clients.set(clientId, acl);
    if (this.clients.size > CLIENT_CACHE_LIMIT) this.clients.delete(this.clients.keys().next().value!);
    return acl;
  }

  private substitute(clientId: string, username: string | undefined): CompiledRule[] {
    // A '+' or '#' in an id would turn a pattern into a wildcard: mosquitto then grants no pattern.
    if (/[+#]/.test(clientId) || (username !== undefined && /[+#]/.test(username))) return [];
    const out: CompiledRule[] = [];
    for (const rule of this.patterns) {
      if (username === undefined && rule.topic.includes('%u')) continue;
      out.push(compile(rule, rule.topic.replaceAll('%c', clientId).replaceAll('%u', username ?? '')));
    }
    return out;
  }

  canPublish(clientId: string, username: string | undefined, topic: string): boolean {
    return this.forClient(clientId, username).canPublish(topic);
  }

  canSubscribe(clientId: string, username: string | undefined, filter: string): boolean {
    return this.forClient(clientId, username).canSubscribe(filter);
  }

  canReceive(clientId: string, username: string | undefined, topic: string): boolean {
    return this.forClient(clientId, username).canReceive(topic);
  }
}

function isAccess(word: string): word is AclAccess {
  return word === 'read' || word === 'write' || word === 'readwrite' || word === 'deny';
}

/** A valid topic filter: '#' only as the whole last level, '+' only as a whole level. */
function validFilter(topic: string): boolean {
  const levels = topic.split('/');
  return levels.every(
    (level, i) =>
      (level === '#' && i === levels.length - 1) ||
      level === '+' ||
      (!level.includes('#') && !level.includes('+')),
  );
}

/** Splits "word rest of line" on the first run of spaces (mosquitto separates with spaces only). */
function firstWord(text: string): [string, string] {
  const space = text.indexOf(' ');
  if (space < 0) return [text, ''];
  return [text.slice(0, space), text.slice(space).replace(/^ +/, '')];
}

export function parseAcl(text: string, file: string): Acl {
  const anonymous: AclRule[] = [];
  const users = new Map<string, AclRule[]>();
  const patterns: AclRule[] = [];
  let current = anonymous;
  const fail = (line: number, message: string): never => {
    throw new ConfigError(`${file}:${line}: ${message}`);
  };
  text.split('\n').forEach((raw, i) => {
    const line = i + 1;
    const trimmed = raw.trimEnd();
    if (trimmed.trim() === '' || trimmed.startsWith('#')) return;
    const [keyword, rest] = firstWord(trimmed.replace(/^ +/, ''));
    if (keyword === 'user') {
      if (rest === '') fail(line, '"user" needs a username');
      current = users.get(rest) ?? [];
      users.set(rest, current);
      return;
    }
    if (keyword !== 'topic' && keyword !== 'pattern') {
      fail(
        line,
        `unknown directive "${keyword}" (expected topic, pattern or user; comments start in column 1)`,
      );
    }
    if (rest === '') fail(line, `"${keyword}" needs a topic`);
    let [access, topic] = firstWord(rest);
    if (topic === '') [access, topic] = ['readwrite', access];
    if (!isAccess(access)) fail(line, `invalid access "${access}" (expected read, write, readwrite or deny)`);
    if (!validFilter(topic))
      fail(line, `invalid topic "${topic}": '#' only as the last level, '+' only as a whole level`);
    (keyword === 'pattern' ? patterns : current).push({ access: access as AclAccess, topic, line });
  });
  return new Acl(file, anonymous, users, patterns);
}

export async function loadAclFile(path: string): Promise<Acl> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`${path}: cannot read the ACL file: ${fileProblem(err)}`);
  }
  return parseAcl(text, path);
}
