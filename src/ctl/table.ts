/**
 * Rows for people and for scripts: aligned columns under a bold header on a terminal, and
 * tab-separated values with a header line otherwise (`cut -f`, `awk -F'\t'`).
 */
export type Cell = string | number | boolean | null | undefined;

export function formatTable(headers: readonly string[], rows: readonly Cell[][], tty: boolean): string {
  const text = rows.map((row) => row.map(cellText));
  if (!tty) return [headers, ...text].map((r) => `${r.join('\t')}\n`).join('');
  const widths = headers.map((h, i) => Math.max(h.length, ...text.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return `\x1b[1m${line(headers)}\x1b[0m\n${text.map((r) => `${line(r)}\n`).join('')}`;
}

function cellText(value: Cell): string {
  if (value === null || value === undefined) return '-';
  // Control characters in a client id or topic must not move the cursor or break the columns.
  return String(value).replace(/[\x00-\x1f\x7f]/g, '?');
}
