/**
 * Dialogs drawn over the frame: the help (every key), the confirmation before clearing retained
 * messages (how many, and which), and the publish form. A dialog takes whole screen lines, box
 * centred, so no line is ever spliced through another's escape sequences.
 */
import { type Controller, FORM_FIELDS, KEYS, type PublishForm } from './controller.js';
import type { FrameInfo } from './render.js';
import { line, type Span, sanitize } from './text.js';

function box(title: string, body: Span[][], info: FrameInfo): string[] {
  const inner = Math.max(10, Math.min(info.cols - 4, 72));
  const pad = Math.max(0, Math.floor((info.cols - inner - 2) / 2));
  const side = (spans: Span[]) =>
    line([{ text: ' '.repeat(pad) }, { text: '│' }, ...spans], pad + 1 + inner, info.colour) +
    line([{ text: '│' }], info.cols - pad - 1 - inner, info.colour);
  const top = `${' '.repeat(pad)}┌ ${title} ${'─'.repeat(Math.max(0, inner - title.length - 3))}┐`;
  const bottom = `${' '.repeat(pad)}└${'─'.repeat(inner)}┘`;
  return [
    line([{ text: top, attr: '1' }], info.cols, info.colour),
    ...body.map((spans) => side([{ text: ' ' }, ...spans])),
    line([{ text: bottom }], info.cols, info.colour),
  ];
}

function helpBody(): Span[][] {
  return KEYS.map(([keys, what]) => [{ text: keys.padEnd(16), attr: '1' }, { text: what }]);
}

function confirmBody(under: string, topics: string[], room: number): Span[][] {
  const n = topics.length;
  const body: Span[][] = [
    [{ text: `Clear ${n} retained message${n === 1 ? '' : 's'} under ${sanitize(under)}?`, attr: '1' }],
  ];
  const listed = Math.max(0, Math.min(n, room - 4));
  for (const topic of topics.slice(0, listed)) body.push([{ text: `  ${sanitize(topic)}`, colour: '33' }]);
  if (listed < n) body.push([{ text: `  … and ${n - listed} more`, colour: '2' }]);
  body.push([{ text: 'y clears them · any other key keeps them', colour: '2' }]);
  return body;
}

function formBody(form: PublishForm): Span[][] {
  const f = form.fields;
  const values = [
    sanitize(f.topic),
    sanitize(f.payload),
    `${f.qos}   (0 1 2, ← →)`,
    `${f.retain ? '[x]' : '[ ]'} (Space)`,
  ];
  const rows: Span[][] = FORM_FIELDS.map((name, i) => {
    const focused = form.focus === i;
    const cursor = focused && i < 2 ? '█' : '';
    return [
      { text: `${focused ? '›' : ' '} ${name.padEnd(8)}`, attr: focused ? '1' : undefined },
      { text: values[i]! + cursor, attr: focused ? '4' : undefined },
    ];
  });
  rows.push([{ text: 'Enter publishes · Tab next field · Esc cancels', colour: '2' }]);
  return rows;
}

export function renderOverlay(c: Controller, info: FrameInfo, frame: string[]): string[] {
  const overlay = c.state.overlay;
  if (!overlay || overlay.kind === 'search') return frame;
  const room = Math.max(1, info.rows - 4);
  const lines =
    overlay.kind === 'help'
      ? box('Keys (any key closes)', helpBody().slice(0, room), info)
      : overlay.kind === 'confirm'
        ? box('Clear retained', confirmBody(overlay.under, overlay.topics, room), info)
        : box('Publish', formBody(overlay.form), info);
  const start = Math.max(1, Math.floor((info.rows - lines.length) / 2));
  const out = [...frame];
  lines.slice(0, info.rows - 1 - start).forEach((text, i) => {
    out[start + i] = text;
  });
  return out;
}
