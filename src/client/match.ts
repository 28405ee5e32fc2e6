/**
 * Whether a topic name matches a filter (MQTT 4.7): '+' one level, '#' this level and all below.
 * Topics starting with '$' are not matched by a leading wildcard (4.7.2). Used client-side, e.g.
 * by `mqx sub -T`, where a trie would be overkill for a handful of filters.
 */
export function topicMatches(filter: string, topic: string): boolean {
  if (topic.startsWith('$') && (filter.startsWith('+') || filter.startsWith('#'))) return false;
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    const level = f[i];
    if (level === '#') return true;
    if (i >= t.length) return false;
    if (level !== '+' && level !== t[i]) return false;
  }
  return f.length === t.length;
}
