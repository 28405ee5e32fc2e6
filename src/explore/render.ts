/**
 * One frame of explore as screen lines for a given size: a header, the topic tree beside (or, on
 * a narrow terminal, above) the selected topic's details, a footer, and any overlay on top. Each
 * line is exactly `cols` cells wide; only the tree rows on screen are laid out, so the cost of a
 * frame depends on the terminal's size, not on the number of topics.
 */
import type { Controller } from './controller.js';
import { compactAge, compactCount, compactRate } from './format.js';
import type { Row } from './model.js';
import { payloadPreview } from './payload-view.js';
import { renderDetail } from './render-detail.js';
import { renderOverlay } from './render-overlay.js';
import { line, type Span, sanitize, textWidth } from './text.js';

export interface FrameInfo {
  cols: number;
  rows: number;
  colour: boolean;
  now: number;
  /** The broker and filters, for the header. */
  title: string;
  /** Shown in the header while not connected ('reconnecting', ...). */
  offline?: string;
}

/** Below this width the detail pane goes under the tree rather than beside it. */
const SIDE_BY_SIDE_COLS = 70;

const DIM = '2';
const INVERSE = '7';
const BOLD = '1';

export interface Layout {
  /** Tree rows on screen. */
  treeRows: number;
  treeWidth: number;
  side: boolean;
}

export function layout(cols: number, rows: number): Layout {
  const body = Math.max(1, rows - 2);
  const side = cols >= SIDE_BY_SIDE_COLS;
  if (side) return { treeRows: Math.max(1, body - 1), treeWidth: Math.floor(cols / 2), side };
  return { treeRows: Math.max(1, Math.floor(body / 2) - 1), treeWidth: cols, side };
}

function treeRow(row: Row, selected: boolean, width: number, info: FrameInfo): string {
  const node = row.node;
  const arrow = node.hasChildren ? (node.expanded || node.hits > 1 ? '▾' : '▸') : ' ';
  const rate = compactRate(node.rate(info.now));
  const retained = node.retained ? `R${compactAge(info.now - node.retainedAt).padStart(4)}` : '';
  const right = `${retained.padStart(6)}${rate.padStart(7)}${compactCount(node.total).padStart(6)}`;
  const leftWidth = Math.max(4, width - right.length);
  const attr = selected ? INVERSE : undefined;
  const name = sanitize(node.name === '' ? '∅' : node.name);
  const spans: Span[] = [
    { text: `${selected ? '›' : ' '}${'  '.repeat(row.depth)}${arrow} `, attr },
    { text: name, attr: [attr, node.match ? BOLD : undefined].filter(Boolean).join(';'), colour: '36' },
  ];
  if (node.last && node.count > 0) {
    const value = payloadPreview(node.last);
    spans.push({ text: ` ${value === '' ? '(empty)' : value}`, attr, colour: '32' });
  }
  return (
    line(spans, leftWidth, info.colour, attr) +
    line([{ text: right, attr, colour: node.retained ? '33' : DIM }], width - leftWidth, info.colour, attr)
  );
}

function treePane(c: Controller, info: FrameInfo, l: Layout): string[] {
  const rows = c.tree.rows();
  const at = c.scroll(l.treeRows);
  const search = c.tree.search ? `  search: ${sanitize(c.tree.search.text)}` : '';
  const position = rows.length > 0 ? `${at + 1}/${rows.length}` : '0/0';
  const out = [line([{ text: ` Topics ${position}${search}`, attr: BOLD }], l.treeWidth, info.colour)];
  for (let i = 0; i < l.treeRows; i++) {
    const row = rows[c.state.top + i];
    out.push(
      row
        ? treeRow(row, row.node === c.state.selected, l.treeWidth, info)
        : line([{ text: i === 0 ? '  (no messages yet)' : '', colour: DIM }], l.treeWidth, info.colour),
    );
  }
  return out;
}

function header(c: Controller, info: FrameInfo): string {
  const t = c.tree;
  const rate = compactRate(t.root.rate(info.now)) || '0/s';
  const figures = `${t.topics.toLocaleString('en-US')} topics  ${t.messages.toLocaleString('en-US')} msgs  ${rate} `;
  const state = info.offline ? ` [${info.offline}]` : '';
  const title = ` mqx explore  ${sanitize(info.title)}${state}`;
  const gap = Math.max(1, info.cols - figures.length - textWidth(title));
  return line(
    [
      { text: title, attr: INVERSE, colour: info.offline ? '31' : undefined },
      { text: ' '.repeat(gap), attr: INVERSE },
      { text: figures, attr: INVERSE },
    ],
    info.cols,
    info.colour,
  );
}

function footer(c: Controller, info: FrameInfo): string {
  const overlay = c.state.overlay;
  if (overlay?.kind === 'search') {
    return line(
      [
        { text: '/', attr: BOLD },
        { text: sanitize(overlay.input) },
        { text: '█' },
        { text: '   Enter search (a/+/b, a/#, regex) · Esc cancel', colour: DIM },
      ],
      info.cols,
      info.colour,
    );
  }
  if (c.state.status)
    return line([{ text: ` ${sanitize(c.state.status)}`, attr: BOLD }], info.cols, info.colour);
  const hints = ' ? help  / search  n/N next  p publish  d/D clear retained  c/y copy  f view  q quit';
  return line([{ text: hints, colour: DIM }], info.cols, info.colour);
}

export function render(c: Controller, info: FrameInfo): string[] {
  const l = layout(info.cols, info.rows);
  const tree = treePane(c, info, l);
  const bodyRows = Math.max(1, info.rows - 2);
  let body: string[];
  if (l.side) {
    const detailWidth = info.cols - l.treeWidth - 1;
    const detail = renderDetail(c, info, detailWidth, bodyRows);
    const bar = info.colour ? '\x1b[2m│\x1b[0m' : '│';
    body = tree.map((t, i) => t + bar + detail[i]!);
  } else {
    const rule = line([{ text: '─'.repeat(info.cols), colour: DIM }], info.cols, info.colour);
    body = [...tree, rule, ...renderDetail(c, info, info.cols, bodyRows - tree.length - 1)];
  }
  body = body.slice(0, bodyRows);
  while (body.length < bodyRows) body.push(' '.repeat(info.cols));
  const frame = [header(c, info), ...body, footer(c, info)].slice(0, info.rows);
  return renderOverlay(c, info, frame);
}
