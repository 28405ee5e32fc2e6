/**
 * The detail pane: everything about the selected topic that fits: QoS, retain and age, counts,
 * MQTT 5 properties, the payload (decoded, text, pretty JSON or hex) with what its decoder warned
 * of, a sparkline of numeric values and the last messages with their times.
 */

import type { Properties } from '../protocol/types.js';
import type { Controller } from './controller.js';
import { bytes, clock, compactAge, compactRate, sparkline } from './format.js';
import type { TopicNode } from './model.js';
import { payloadLines, payloadPreview, shownAs } from './payload-view.js';
import type { FrameInfo } from './render.js';
import { line, type Span, sanitize } from './text.js';

function propertyLines(p: Properties): string[] {
  const out: string[] = [];
  for (const [key, value] of Object.entries(p)) {
    if (value === undefined || key === 'topicAlias' || key === 'subscriptionIdentifiers') continue;
    if (key === 'userProperties') {
      for (const [k, v] of value as Array<[string, string]>) out.push(`user ${sanitize(k)}: ${sanitize(v)}`);
    } else if (Buffer.isBuffer(value)) {
      out.push(`${key}: 0x${value.toString('hex')}`);
    } else {
      out.push(`${key}: ${sanitize(String(value))}`);
    }
  }
  return out;
}

function retainedText(node: TopicNode, now: number): string {
  if (!node.retained) return 'not retained';
  const age = compactAge(now - node.retainedAt);
  return node.retainedExact ? `retained, set ${age} ago` : `retained, set ≥ ${age} ago`;
}

function lines(node: TopicNode, c: Controller, info: FrameInfo, width: number, height: number): Span[][] {
  const out: Span[][] = [];
  const dim = (text: string): Span[] => [{ text, colour: '2' }];
  out.push([{ text: sanitize(node.path === '' ? '∅' : node.path), attr: '1', colour: '36' }]);
  const last = node.last;
  const rate = compactRate(node.rate(info.now));
  out.push(dim(`${node.count} msgs here, ${node.total} in subtree${rate ? `, ${rate}` : ''}`));
  if (!last) {
    out.push(dim('no message on this topic itself'));
    return out;
  }
  out.push([
    { text: `QoS ${last.qos}  ` },
    { text: retainedText(node, info.now), colour: node.retained ? '33' : '2' },
    { text: `  ${compactAge(info.now - last.at)} ago` },
  ]);
  for (const p of last.properties ? propertyLines(last.properties) : []) out.push(dim(p));
  if (node.values.length > 1) {
    const min = Math.min(...node.values);
    const max = Math.max(...node.values);
    out.push([
      { text: sparkline(node.values, Math.max(4, width - 24)), colour: '35' },
      ...dim(` ${min} … ${max}`),
    ]);
  }
  const kind = shownAs(last, c.state.payloadMode);
  const shown = kind === 'decoded' ? sanitize(last.decoded!.format!) : kind;
  const cut = last.size > last.payload.length ? `, first ${bytes(last.payload.length)}` : '';
  out.push(dim(`── payload: ${shown} (f), ${bytes(last.size)}${cut} ${'─'.repeat(width)}`));
  if (last.decoded?.warning) out.push([{ text: sanitize(last.decoded.warning), colour: '33' }]);
  // The payload first, leaving the earlier messages a few rows; they take whatever is left.
  const history = node.history;
  const reserve = Math.min(history.length === 0 ? 0 : history.length + 1, 4);
  const payloadRows = Math.max(1, height - out.length - reserve);
  const payload = payloadLines(last, c.state.payloadMode, width, payloadRows + 1);
  for (const text of payload.slice(0, payloadRows)) out.push([{ text }]);
  if (payload.length > payloadRows) out[out.length - 1] = dim('…');
  const historyRows = Math.min(history.length, height - out.length - 1);
  if (historyRows > 0) {
    out.push(dim(`── earlier ${'─'.repeat(width)}`));
    for (const m of history.slice(-historyRows).reverse()) {
      out.push([...dim(`${clock(m.at)} `), { text: payloadPreview(m) }]);
    }
  }
  return out;
}

export function renderDetail(c: Controller, info: FrameInfo, width: number, height: number): string[] {
  if (height <= 0) return [];
  const node = c.state.selected;
  const spans = node ? lines(node, c, info, width - 1, height) : [[{ text: 'select a topic', colour: '2' }]];
  const out = spans.slice(0, height).map((s) => line([{ text: ' ' }, ...s], width, info.colour));
  while (out.length < height) out.push(' '.repeat(width));
  return out;
}
