/*
 * Relations between two topic filters, each given as its levels, for deciding a SUBSCRIBE
 * before any message exists. Both follow the matching rules of MQTT 3.1.1 / 5.0 section 4.7:
 * `#` also matches its parent level ("a/#" matches "a"), and a wildcard in the first level
 * never matches a topic that starts with `$` [MQTT-4.7.2-1].
 */

function isWildcard(level: string | undefined): boolean {
  return level === '+' || level === '#';
}

/** A first level that only `$`-topics have, which no first-level wildcard can reach. */
function dollarClash(a: readonly string[], b: readonly string[]): boolean {
  const a0 = a[0]!;
  const b0 = b[0]!;
  return (a0.startsWith('$') && isWildcard(b0)) || (b0.startsWith('$') && isWildcard(a0));
}

/** True when some topic name matches both filters. */
export function filtersOverlap(a: readonly string[], b: readonly string[]): boolean {
  if (dollarClash(a, b)) return false;
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i];
    const y = b[i];
    if (x === '#' || y === '#') return true;
    // One filter ended: the other must end too (or go on with only "#", handled above).
    if (x === undefined || y === undefined) return false;
    if (x !== '+' && y !== '+' && x !== y) return false;
  }
  return true;
}

/** True when every topic name that `inner` matches is matched by `outer` too. */
export function filterCovers(outer: readonly string[], inner: readonly string[]): boolean {
  if (dollarClash(outer, inner)) return false;
  for (let i = 0; i < inner.length; i++) {
    const o = outer[i];
    const x = inner[i]!;
    if (o === '#') return true;
    if (o === undefined) return false;
    // A "#" also matches its parent, which an outer "+" level needs to exist, except at the root:
    // there every topic has a first level, so "+/#" covers "#".
    if (x === '#') return i === 0 && o === '+' && outer.length === 2 && outer[1] === '#';
    if (o !== '+' && (x === '+' || o !== x)) return false;
  }
  // Every level of `inner` is matched; `outer` may only go on with a "#", which matches the parent.
  return outer.length === inner.length || (outer.length === inner.length + 1 && outer[inner.length] === '#');
}
