/**
 * Topic names and filters (MQTT 3.1.1 and 5.0 section 4.7). Each validator returns a short,
 * user-facing error text or undefined, so that callers decide how to report it: mqx pub/sub print
 * it, the broker turns it into a reason code.
 */

/** An encoded UTF-8 string in MQTT has a two-byte length prefix. */
const MAX_TOPIC_BYTES = 65535;

const SHARE_PREFIX = '$share/';

/** Checks shared by names and filters: length, encoding limit and U+0000 [MQTT-4.7.3-1/2/3]. */
function validateCommon(text: string, what: string): string | undefined {
  if (text.length === 0) return `${what} must not be empty`;
  // A JS string of n UTF-16 units encodes to at most 3n UTF-8 bytes; skip the count when safe.
  if (text.length * 3 > MAX_TOPIC_BYTES && Buffer.byteLength(text, 'utf8') > MAX_TOPIC_BYTES) {
    return `${what} is longer than ${MAX_TOPIC_BYTES} bytes`;
  }
  if (text.includes('\u0000')) return `${what} must not contain the null character U+0000`;
  return undefined;
}

/** A topic name that a PUBLISH may carry: no wildcards. */
export function validateTopicName(topic: string): string | undefined {
  const common = validateCommon(topic, 'topic');
  if (common !== undefined) return common;
  if (topic.includes('+') || topic.includes('#')) {
    return `topic '${topic}' must not contain the wildcards + or # (they are for subscriptions)`;
  }
  return undefined;
}

/** Wildcard placement only; the caller has already checked emptiness, length and U+0000. */
function validateWildcards(filter: string): string | undefined {
  const levels = filter.split('/');
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i]!;
    if (level.includes('#')) {
      if (level !== '#') return `'#' must occupy a whole level in '${filter}'`;
      if (i !== levels.length - 1) return `'#' must be the last level in '${filter}'`;
    } else if (level.includes('+') && level !== '+') {
      return `'+' must occupy a whole level in '${filter}'`;
    }
  }
  return undefined;
}

/**
 * A filter a SUBSCRIBE may carry, including `$share/GROUP/FILTER`. Empty levels are allowed
 * (`/`, `a//b`): the spec treats a zero-length level as an ordinary level.
 */
export function validateTopicFilter(filter: string): string | undefined {
  const common = validateCommon(filter, 'topic filter');
  if (common !== undefined) return common;
  if (filter.startsWith(SHARE_PREFIX)) {
    const shared = splitShared(filter);
    if (typeof shared === 'string') return shared;
    return validateWildcards(shared.filter);
  }
  return validateWildcards(filter);
}

/** Splits `$share/GROUP/FILTER`, or returns the reason it is malformed [MQTT-4.8.2-1/2]. */
function splitShared(filter: string): { group: string; filter: string } | string {
  const rest = filter.slice(SHARE_PREFIX.length);
  const slash = rest.indexOf('/');
  if (slash < 0) return `shared subscription '${filter}' needs a filter: $share/GROUP/FILTER`;
  const group = rest.slice(0, slash);
  const inner = rest.slice(slash + 1);
  if (group.length === 0) return `shared subscription '${filter}' has an empty group name`;
  if (group.includes('+') || group.includes('#')) {
    return `shared subscription group '${group}' must not contain + or #`;
  }
  if (inner.length === 0) return `shared subscription '${filter}' has an empty filter`;
  return { group, filter: inner };
}

/**
 * The group and inner filter of `$share/GROUP/FILTER`; undefined when the filter is not shared or
 * its $share form is malformed. Wildcards in the inner filter are validateTopicFilter's to check.
 */
export function parseSharedFilter(filter: string): { group: string; filter: string } | undefined {
  if (!filter.startsWith(SHARE_PREFIX)) return undefined;
  const shared = splitShared(filter);
  return typeof shared === 'string' ? undefined : shared;
}

/** `$SYS` topics are the broker's own statistics: clients may read them but not publish to them. */
export function isSysTopic(topic: string): boolean {
  return topic === '$SYS' || topic.startsWith('$SYS/');
}
