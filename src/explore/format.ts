/** Small figures for narrow columns: counts, rates, ages, times and sparklines. */

export function compactCount(n: number): string {
  if (n < 1000) return String(n);
  if (n < 10_000) return `${(n / 1000).toFixed(1)}k`;
  if (n < 1_000_000) return `${Math.round(n / 1000)}k`;
  return `${(n / 1_000_000).toFixed(1)}M`;
}

export function compactRate(perSecond: number): string {
  if (perSecond < 0.05) return '';
  if (perSecond < 10) return `${perSecond.toFixed(1)}/s`;
  return `${compactCount(Math.round(perSecond))}/s`;
}

export function compactAge(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86_400)}d`;
}

/** Local wall-clock time with milliseconds: 14:03:07.412. */
export function clock(ms: number): string {
  const d = new Date(ms);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

const BARS = '▁▂▃▄▅▆▇█';

/** The last `width` values as bars scaled between their minimum and maximum. */
export function sparkline(values: number[], width: number): string {
  const shown = values.slice(-width);
  if (shown.length === 0) return '';
  const min = Math.min(...shown);
  const span = Math.max(...shown) - min;
  return shown.map((v) => BARS[span === 0 ? 3 : Math.min(7, Math.floor(((v - min) / span) * 8))]!).join('');
}
