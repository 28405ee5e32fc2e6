/**
 * One acl_file and the decisions a broker must make with it, recorded from mosquitto 2.0.11 and
 * re-proven against it on every run (acl.test.ts). Reusable against any broker: start it with
 * ACL_FILE, a password file holding ACL_USERS, anonymous clients allowed, then probe each case with
 * acl-probe.ts.
 *
 * Every case has its own client id, so the probes can run in parallel without taking over each
 * other's sessions.
 */

export const ACL_FILE = `# Before any "user" line: anonymous clients only.
topic read public/#
topic readwrite anon/rw
topic write anon/drop
user alice
topic readwrite alice/#
topic deny alice/secret
topic read shared/+/status
topic write cmd/#
topic deny cmd/halt
topic read sensors/+
user bob
topic read #
topic deny bob/private/#
user admin
topic readwrite #
topic readwrite $SYS/#
topic readwrite $SYSTEM/#
# A second block for alice adds to the first.
user alice
topic read second/block
user dave
topic deny deny-first/x
topic readwrite deny-first/#
# Patterns apply to every client, wherever they stand.
pattern readwrite clients/%c/#
pattern deny clients/%c/blocked
pattern read users/%u/inbox
pattern write out/%c-%u
pattern deny q1/%c
pattern readwrite open/#
`;

/** Users of the password file (carol and eve+ have no block: only patterns apply to them). */
export const ACL_USERS: Record<string, string> = {
  alice: 'alice-pw',
  bob: 'bob-pw',
  admin: 'admin-pw',
  carol: 'carol-pw',
  dave: 'dave-pw',
  'eve+': 'eve-pw',
};

/** The user that seeds retained messages and publishes live ones for receive cases. */
export const ACL_OBSERVER = { clientId: 'acl-observer', username: 'admin' } as const;

export type AclAction = 'publish' | 'subscribe' | 'receive';

export interface AclCase {
  why: string;
  clientId: string;
  /** undefined: anonymous. */
  username?: string;
  action: AclAction;
  /** A topic name, or a filter for 'subscribe'. */
  topic: string;
  /** What mosquitto 2.0 decides. */
  allowed: boolean;
  /**
   * What mqx decides where it differs from mosquitto on purpose: a SUBSCRIBE under which the
   * client could never read anything is refused (README, "Where mqx differs from mosquitto").
   */
  mqx?: boolean;
}

const anon = (clientId: string) => ({ clientId });
const as = (username: string, clientId: string) => ({ clientId, username });

export const ACL_CASES: AclCase[] = [
  // anonymous clients: the rules before the first "user" line
  {
    why: 'anonymous: read-only topic cannot be published',
    ...anon('an-1'),
    action: 'publish',
    topic: 'public/news',
    allowed: false,
  },
  { why: 'anonymous: read grant', ...anon('an-2'), action: 'receive', topic: 'public/news', allowed: true },
  {
    why: 'anonymous: readwrite publish',
    ...anon('an-3'),
    action: 'publish',
    topic: 'anon/rw',
    allowed: true,
  },
  {
    why: 'anonymous: readwrite receive',
    ...anon('an-4'),
    action: 'receive',
    topic: 'anon/rw',
    allowed: true,
  },
  {
    why: 'anonymous: write-only topic is not delivered',
    ...anon('an-5'),
    action: 'receive',
    topic: 'anon/drop',
    allowed: false,
  },
  {
    why: 'anonymous: write-only publish',
    ...anon('an-6'),
    action: 'publish',
    topic: 'anon/drop',
    allowed: true,
  },
  {
    why: "anonymous: users' topics are not theirs",
    ...anon('an-7'),
    action: 'receive',
    topic: 'alice/x',
    allowed: false,
  },
  {
    why: 'SUBSCRIBE to # overlaps a read grant: granted, each message filtered',
    ...anon('an-8'),
    action: 'subscribe',
    topic: '#',
    allowed: true,
  },
  {
    why: 'SUBSCRIBE to $SYS/# with no read grant reaching $SYS: mosquitto grants, mqx refuses',
    ...anon('an-9'),
    action: 'subscribe',
    topic: '$SYS/#',
    allowed: true,
    mqx: false,
  },
  {
    why: 'anonymous: %u patterns never apply',
    ...anon('an-10'),
    action: 'receive',
    topic: 'users//inbox',
    allowed: false,
  },
  {
    why: 'anonymous: %c patterns apply',
    ...anon('dev1'),
    action: 'publish',
    topic: 'clients/dev1/temp',
    allowed: true,
  },
  {
    why: 'anonymous: %c pattern read',
    ...anon('dev2'),
    action: 'receive',
    topic: 'clients/dev2/cmd',
    allowed: true,
  },
  {
    why: "%c pattern: another client's topic",
    ...anon('dev3'),
    action: 'publish',
    topic: 'clients/dev1/temp',
    allowed: false,
  },
  { why: 'pattern without placeholder', ...anon('an-11'), action: 'publish', topic: 'open/x', allowed: true },
  // dangerous ids: a '+' or '#' in client id or username disables every pattern
  {
    why: "'#' in client id: no pattern grants",
    ...anon('dev#1'),
    action: 'publish',
    topic: 'open/x',
    allowed: false,
  },
  {
    why: "'+' in client id: no pattern grants",
    ...anon('dev+2'),
    action: 'receive',
    topic: 'open/y',
    allowed: false,
  },
  {
    why: "'#' in client id: own list still applies",
    ...anon('an#12'),
    action: 'publish',
    topic: 'anon/rw',
    allowed: true,
  },
  {
    why: "'+' in username: no pattern grants",
    ...as('eve+', 'eve-1'),
    action: 'receive',
    topic: 'open/z',
    allowed: false,
  },
  // alice: her blocks, then patterns
  { why: 'user grant', ...as('alice', 'al-1'), action: 'publish', topic: 'alice/x', allowed: true },
  { why: 'user grant, receive', ...as('alice', 'al-2'), action: 'receive', topic: 'alice/x', allowed: true },
  {
    why: 'deny after the allow still denies',
    ...as('alice', 'al-3'),
    action: 'publish',
    topic: 'alice/secret',
    allowed: false,
  },
  {
    why: 'deny also blocks delivery',
    ...as('alice', 'al-4'),
    action: 'receive',
    topic: 'alice/secret',
    allowed: false,
  },
  {
    why: "'alice/#' matches its parent 'alice'",
    ...as('alice', 'al-5'),
    action: 'publish',
    topic: 'alice',
    allowed: true,
  },
  {
    why: "'+' matches one level",
    ...as('alice', 'al-6'),
    action: 'receive',
    topic: 'shared/kitchen/status',
    allowed: true,
  },
  {
    why: "'+' level, other last level",
    ...as('alice', 'al-7'),
    action: 'receive',
    topic: 'shared/kitchen/temp',
    allowed: false,
  },
  {
    why: 'read-only cannot be published',
    ...as('alice', 'al-8'),
    action: 'publish',
    topic: 'shared/kitchen/status',
    allowed: false,
  },
  { why: 'write grant', ...as('alice', 'al-9'), action: 'publish', topic: 'cmd/reboot', allowed: true },
  {
    why: 'write-only is not delivered',
    ...as('alice', 'al-10'),
    action: 'receive',
    topic: 'cmd/reboot',
    allowed: false,
  },
  {
    why: 'deny inside a write tree',
    ...as('alice', 'al-11'),
    action: 'publish',
    topic: 'cmd/halt',
    allowed: false,
  },
  { why: "'+' at the end", ...as('alice', 'al-12'), action: 'receive', topic: 'sensors/a', allowed: true },
  {
    why: "'+' does not match two levels",
    ...as('alice', 'al-13'),
    action: 'receive',
    topic: 'sensors/a/b',
    allowed: false,
  },
  {
    why: 'the anonymous list is not for users',
    ...as('alice', 'al-14'),
    action: 'publish',
    topic: 'anon/rw',
    allowed: false,
  },
  {
    why: 'the anonymous read list is not for users',
    ...as('alice', 'al-15'),
    action: 'receive',
    topic: 'public/news',
    allowed: false,
  },
  {
    why: 'a second block of the same user adds up',
    ...as('alice', 'al-16'),
    action: 'receive',
    topic: 'second/block',
    allowed: true,
  },
  {
    why: 'SUBSCRIBE to a tree no grant reaches: mosquitto grants, mqx refuses',
    ...as('alice', 'al-17'),
    action: 'subscribe',
    topic: 'bob/private/#',
    allowed: true,
    mqx: false,
  },
  {
    why: 'SUBSCRIBE covered by a deny rule: mosquitto grants, mqx refuses',
    ...as('bob', 'bo-sub-1'),
    action: 'subscribe',
    topic: 'bob/private/+/x',
    allowed: true,
    mqx: false,
  },
  {
    why: 'SUBSCRIBE partly denied but overlapping a read grant: granted',
    ...as('bob', 'bo-sub-2'),
    action: 'subscribe',
    topic: 'bob/+/x',
    allowed: true,
  },
  {
    why: 'SUBSCRIBE where only write grants reach: mosquitto grants, mqx refuses',
    ...as('alice', 'al-sub-1'),
    action: 'subscribe',
    topic: 'cmd/#',
    allowed: true,
    mqx: false,
  },
  {
    why: 'SUBSCRIBE with + overlapping a read grant with +: granted',
    ...as('alice', 'al-sub-2'),
    action: 'subscribe',
    topic: '+/kitchen/status',
    allowed: true,
  },
  {
    why: 'SUBSCRIBE granted by a %c pattern',
    ...as('carol', 'ca-sub-1'),
    action: 'subscribe',
    topic: 'clients/ca-sub-1/+',
    allowed: true,
  },
  {
    why: "SUBSCRIBE to another client's %c tree: mosquitto grants, mqx refuses",
    ...as('carol', 'ca-sub-2'),
    action: 'subscribe',
    topic: 'clients/someone-else/#',
    allowed: true,
    mqx: false,
  },
  {
    why: 'SUBSCRIBE granted by a %u pattern',
    ...as('carol', 'ca-sub-3'),
    action: 'subscribe',
    topic: 'users/carol/#',
    allowed: true,
  },
  {
    why: 'SUBSCRIBE covered by a %c deny pattern: mosquitto grants, mqx refuses',
    ...as('carol', 'ca-sub-4'),
    action: 'subscribe',
    topic: 'q1/ca-sub-4',
    allowed: true,
    mqx: false,
  },
  {
    why: 'SUBSCRIBE to $SYS/# with a $SYS grant: granted',
    ...as('admin', 'ad-sub-1'),
    action: 'subscribe',
    topic: '$SYS/#',
    allowed: true,
  },
  {
    why: 'own list silent: %c pattern decides',
    ...as('alice', 'alice-phone'),
    action: 'publish',
    topic: 'clients/alice-phone/x',
    allowed: true,
  },
  {
    why: 'pattern deny beats pattern allow',
    ...as('alice', 'alice-tab'),
    action: 'publish',
    topic: 'clients/alice-tab/blocked',
    allowed: false,
  },
  {
    why: '%c and %u inside one level',
    ...as('alice', 'a3'),
    action: 'publish',
    topic: 'out/a3-alice',
    allowed: true,
  },
  {
    why: '%u pattern',
    ...as('alice', 'al-18'),
    action: 'receive',
    topic: 'users/alice/inbox',
    allowed: true,
  },
  {
    why: "%u pattern, another user's inbox",
    ...as('alice', 'al-19'),
    action: 'receive',
    topic: 'users/bob/inbox',
    allowed: false,
  },
  // bob: read everything but his private tree
  {
    why: "'#' grants every level",
    ...as('bob', 'bo-1'),
    action: 'receive',
    topic: 'any/thing/at/all',
    allowed: true,
  },
  {
    why: 'read # does not allow publishing',
    ...as('bob', 'bo-2'),
    action: 'publish',
    topic: 'any/thing',
    allowed: false,
  },
  {
    why: 'deny subtree',
    ...as('bob', 'bo-3'),
    action: 'receive',
    topic: 'bob/private/diary',
    allowed: false,
  },
  {
    why: "deny 'x/#' covers 'x'",
    ...as('bob', 'bo-4'),
    action: 'receive',
    topic: 'bob/private',
    allowed: false,
  },
  {
    why: "'#' does not match $SYS topics",
    ...as('bob', 'bo-5'),
    action: 'receive',
    topic: '$SYS/broker/version',
    allowed: false,
  },
  {
    why: 'own read-only match falls through to patterns',
    ...as('bob', 'bob-1'),
    action: 'publish',
    topic: 'clients/bob-1/x',
    allowed: true,
  },
  {
    why: 'falls through to a pattern deny',
    ...as('bob', 'bob-2'),
    action: 'publish',
    topic: 'q1/bob-2',
    allowed: false,
  },
  {
    why: 'own grant wins over a pattern deny',
    ...as('bob', 'bob-3'),
    action: 'receive',
    topic: 'q1/bob-3',
    allowed: true,
  },
  // admin: everything, but never a $SYS publish
  {
    why: 'nobody publishes to $SYS',
    ...as('admin', 'ad-1'),
    action: 'publish',
    topic: '$SYS/test',
    allowed: false,
  },
  {
    why: "the $SYS check is a prefix: '$SYSTEM' too",
    ...as('admin', 'ad-2'),
    action: 'publish',
    topic: '$SYSTEM/x',
    allowed: false,
  },
  {
    why: 'explicit $SYS read grant',
    ...as('admin', 'ad-3'),
    action: 'receive',
    topic: '$SYS/broker/version',
    allowed: true,
  },
  {
    why: 'own grant wins over a %c pattern deny',
    ...as('admin', 'adm-1'),
    action: 'publish',
    topic: 'clients/adm-1/blocked',
    allowed: true,
  },
  {
    why: "a bridge's state topic is the one $SYS topic clients may publish (if the ACL grants it)",
    ...as('admin', 'ad-4'),
    action: 'publish',
    topic: '$SYS/broker/connection/br1/state',
    allowed: true,
  },
  {
    why: 'other bridge $SYS topics stay closed',
    ...as('admin', 'ad-5'),
    action: 'publish',
    topic: '$SYS/broker/connection/br1/x',
    allowed: false,
  },
  {
    why: 'the state topic still needs an ACL grant',
    ...as('bob', 'bo-6'),
    action: 'publish',
    topic: '$SYS/broker/connection/br2/state',
    allowed: false,
  },
  // dave: deny listed before the allow
  {
    why: 'deny first, then allow: denied',
    ...as('dave', 'da-1'),
    action: 'publish',
    topic: 'deny-first/x',
    allowed: false,
  },
  {
    why: 'deny first: siblings allowed',
    ...as('dave', 'da-2'),
    action: 'publish',
    topic: 'deny-first/y',
    allowed: true,
  },
  // carol: a user without a block
  {
    why: 'no block: patterns apply',
    ...as('carol', 'carol-1'),
    action: 'publish',
    topic: 'clients/carol-1/x',
    allowed: true,
  },
  {
    why: 'no block: not the anonymous list',
    ...as('carol', 'ca-2'),
    action: 'receive',
    topic: 'anon/rw',
    allowed: false,
  },
  {
    why: 'no block: nothing else',
    ...as('carol', 'ca-3'),
    action: 'publish',
    topic: 'carol/x',
    allowed: false,
  },
];
