/**
 * What the keys do: the view state (selection, scroll, overlays, the publish form) and the
 * effects a key asks for (publish, clear, copy, quit), which the app carries out. No I/O here,
 * so every key is testable without a terminal or a broker.
 */
import type { QoS } from '../protocol/types.js';
import { compileSearch, type TopicNode, type TopicTree } from './model.js';
import { nextMode, type PayloadMode, shownAs } from './payload-view.js';

/** A keypress as node:readline reports it. */
export interface Key {
  name?: string;
  sequence?: string;
  ctrl?: boolean;
  meta?: boolean;
  shift?: boolean;
}

export interface PublishForm {
  fields: { topic: string; payload: string; qos: QoS; retain: boolean };
  focus: number;
}

export const FORM_FIELDS = ['topic', 'payload', 'qos', 'retain'] as const;

export type Overlay =
  | { kind: 'help' }
  | { kind: 'search'; input: string }
  | { kind: 'confirm'; under: string; topics: string[] }
  | { kind: 'publish'; form: PublishForm };

export interface ViewState {
  selected: TopicNode | undefined;
  /** The first tree row on screen. */
  top: number;
  overlay: Overlay | undefined;
  payloadMode: PayloadMode;
  /** A one-line message in the footer (what an action did), until the next key. */
  status: string | undefined;
  sys: boolean;
}

export type Effect =
  | { type: 'quit'; code: number }
  | { type: 'publish'; topic: string; payload: string; qos: QoS; retain: boolean }
  | { type: 'clear'; topics: string[] }
  | { type: 'copy'; what: string; text: string }
  | { type: 'sys'; on: boolean };

export function initialState(payloadMode: PayloadMode = 'auto'): ViewState {
  return {
    selected: undefined,
    top: 0,
    overlay: undefined,
    payloadMode,
    status: undefined,
    sys: false,
  };
}

/** Every key, for the help overlay (and so for the README). */
export const KEYS: Array<[string, string]> = [
  ['↑ ↓  k j', 'move'],
  ['PgUp PgDn  g G', 'page, first, last'],
  ['→ l  ← h', 'expand, collapse (or go to parent)'],
  ['Enter  Space', 'expand or collapse'],
  ['*', 'expand the whole subtree'],
  ['/', 'search: MQTT filter (a/+/c, a/#) or regex'],
  ['n  N', 'next, previous match'],
  ['Esc', 'end the search, close a dialog'],
  ['f', 'payload view: auto (or decoded), text, JSON, hex'],
  ['p', 'publish (topic, payload, QoS, retain)'],
  ['d', 'clear the retained message here'],
  ['D', 'clear every retained message in the subtree'],
  ['c  y', 'copy topic, copy payload (OSC 52)'],
  ['$', 'show $SYS topics, or hide them'],
  ['?', 'this help'],
  ['q  Ctrl-C', 'quit'],
];

function printable(key: Key): string | undefined {
  const s = key.sequence;
  if (key.ctrl || key.meta || s === undefined || s.length === 0) return undefined;
  // A paste arrives as one sequence; control characters in it are not typed text.
  const text = s.replace(/[\x00-\x1f\x7f]/g, '');
  return text.length > 0 ? text : undefined;
}

/** A letter as typed (shift gives the capital), else readline's key name or the character. */
function token(key: Key): string {
  const name = key.name;
  if (name !== undefined && /^[a-z]$/.test(name)) return key.shift ? name.toUpperCase() : name;
  return name ?? key.sequence ?? '';
}

export class Controller {
  constructor(
    readonly tree: TopicTree,
    readonly state: ViewState = initialState(),
  ) {}

  /** Keeps the selection on a row that exists (the first one, before any was chosen). */
  private index(): number {
    const rows = this.tree.rows();
    if (rows.length === 0) {
      this.state.selected = undefined;
      return -1;
    }
    const at = this.state.selected ? rows.findIndex((r) => r.node === this.state.selected) : -1;
    if (at >= 0) return at;
    this.state.selected = rows[0]!.node;
    return 0;
  }

  /** The selected row's index, with `top` moved so that it is on screen. */
  scroll(pageRows: number): number {
    const at = this.index();
    if (at < 0) return at;
    if (at < this.state.top) this.state.top = at;
    if (at >= this.state.top + pageRows) this.state.top = at - pageRows + 1;
    this.state.top = Math.max(0, Math.min(this.state.top, this.tree.rows().length - pageRows));
    return at;
  }

  private moveTo(i: number): void {
    const rows = this.tree.rows();
    if (rows.length === 0) return;
    this.state.selected = rows[Math.max(0, Math.min(rows.length - 1, i))]!.node;
  }

  private nextMatch(step: 1 | -1): void {
    const rows = this.tree.rows();
    const start = this.index();
    for (let k = 1; k <= rows.length; k++) {
      const i = (((start + step * k) % rows.length) + rows.length) % rows.length;
      if (rows[i]!.node.match) {
        this.moveTo(i);
        return;
      }
    }
    this.state.status = 'no match';
  }

  handle(key: Key, pageRows: number): Effect[] {
    const overlay = this.state.overlay;
    this.state.status = undefined;
    if (key.ctrl && key.name === 'c') return [{ type: 'quit', code: 130 }];
    if (overlay?.kind === 'search') return this.searchKey(overlay, key);
    if (overlay?.kind === 'publish') return this.formKey(overlay.form, key);
    if (overlay?.kind === 'confirm') {
      this.state.overlay = undefined;
      return key.name === 'y' ? [{ type: 'clear', topics: overlay.topics }] : [];
    }
    if (overlay?.kind === 'help') {
      this.state.overlay = undefined;
      return key.name === 'q' ? [{ type: 'quit', code: 0 }] : [];
    }
    return this.treeKey(key, pageRows);
  }

  private treeKey(key: Key, pageRows: number): Effect[] {
    const at = this.index();
    const node = this.state.selected;
    switch (token(key)) {
      case 'q':
        return [{ type: 'quit', code: 0 }];
      case 'up':
      case 'k':
        this.moveTo(at - 1);
        break;
      case 'down':
      case 'j':
        this.moveTo(at + 1);
        break;
      case 'pageup':
        this.moveTo(at - pageRows);
        break;
      case 'pagedown':
        this.moveTo(at + pageRows);
        break;
      case 'home':
        this.moveTo(0);
        break;
      case 'end':
        this.moveTo(this.tree.rows().length - 1);
        break;
      case 'g':
        this.moveTo(0);
        break;
      case 'G':
        this.moveTo(this.tree.rows().length - 1);
        break;
      case 'right':
      case 'l':
        if (node?.hasChildren) this.tree.setExpanded(node, true);
        break;
      case 'left':
      case 'h':
        if (node?.expanded && !this.tree.search) this.tree.setExpanded(node, false);
        else if (node?.parent?.parent) this.state.selected = node.parent;
        break;
      case 'return':
      case 'enter':
      case 'space':
        if (node?.hasChildren) this.tree.setExpanded(node, !node.expanded);
        break;
      case '*':
        if (node) {
          this.tree.setExpanded(node, true);
          this.tree.walk((n) => {
            this.tree.setExpanded(n, true);
          }, node);
        }
        break;
      case '/':
        this.state.overlay = { kind: 'search', input: this.tree.search?.text ?? '' };
        break;
      case 'n':
      case 'N':
        if (this.tree.search) this.nextMatch(key.shift ? -1 : 1);
        break;
      case 'escape':
        this.tree.setSearch(undefined);
        break;
      case 'f':
        this.state.payloadMode = nextMode(this.state.payloadMode, node?.last);
        break;
      case '?':
        this.state.overlay = { kind: 'help' };
        break;
      case '$':
        this.state.sys = !this.state.sys;
        return [{ type: 'sys', on: this.state.sys }];
      case 'p':
        this.state.overlay = {
          kind: 'publish',
          form: {
            fields: {
              topic: node?.path ?? '',
              payload: node?.last ? node.last.payload.toString('utf8') : '',
              qos: 0,
              retain: node?.retained ?? false,
            },
            focus: 1,
          },
        };
        break;
      case 'd':
        if (!node?.retained) this.state.status = 'no retained message here';
        else this.state.overlay = { kind: 'confirm', under: node.path, topics: [node.path] };
        break;
      case 'D':
        if (node) this.confirmSubtree(node);
        break;
      case 'c':
        if (node) return [{ type: 'copy', what: 'topic', text: node.path }];
        break;
      case 'y': {
        const last = node?.last;
        if (!last) break;
        // What the pane shows: a Sparkplug payload's bytes would make a poor clipboard.
        if (shownAs(last, this.state.payloadMode) === 'decoded')
          return [{ type: 'copy', what: 'decoded payload', text: last.decoded!.text! }];
        return [{ type: 'copy', what: 'payload', text: last.payload.toString('utf8') }];
      }
    }
    return [];
  }

  private confirmSubtree(node: TopicNode): void {
    const topics = this.tree.retainedUnder(node).map((n) => n.path);
    if (topics.length === 0) this.state.status = `no retained messages under ${node.path}`;
    else
      this.state.overlay = {
        kind: 'confirm',
        under: node.hasChildren ? `${node.path}/#` : node.path,
        topics,
      };
  }

  private searchKey(overlay: { input: string }, key: Key): Effect[] {
    if (key.name === 'escape') {
      this.state.overlay = undefined;
    } else if (key.name === 'return' || key.name === 'enter') {
      this.state.overlay = undefined;
      this.tree.setSearch(overlay.input === '' ? undefined : compileSearch(overlay.input));
      const rows = this.tree.rows();
      const first = rows.findIndex((r) => r.node.match);
      if (first >= 0) this.moveTo(first);
      else if (this.tree.search) this.state.status = `no topic matches ${overlay.input}`;
    } else if (key.name === 'backspace') {
      overlay.input = overlay.input.slice(0, -1);
    } else {
      overlay.input += printable(key) ?? '';
    }
    return [];
  }

  private formKey(form: PublishForm, key: Key): Effect[] {
    const field = FORM_FIELDS[form.focus]!;
    const f = form.fields;
    switch (key.name) {
      case 'escape':
        this.state.overlay = undefined;
        return [];
      case 'return':
      case 'enter':
        this.state.overlay = undefined;
        if (f.topic === '') {
          this.state.status = 'nothing published: no topic';
          return [];
        }
        return [{ type: 'publish', ...f }];
      case 'tab':
      case 'down':
      case 'up':
        form.focus =
          (form.focus + (key.name === 'up' || key.shift ? FORM_FIELDS.length - 1 : 1)) % FORM_FIELDS.length;
        return [];
      case 'backspace':
        if (field === 'topic' || field === 'payload') f[field] = f[field].slice(0, -1);
        return [];
    }
    if (field === 'qos') {
      if (key.sequence === '0' || key.sequence === '1' || key.sequence === '2')
        f.qos = Number(key.sequence) as QoS;
      else if (key.name === 'left') f.qos = Math.max(0, f.qos - 1) as QoS;
      else if (key.name === 'right' || key.name === 'space') f.qos = ((f.qos + 1) % 3) as QoS;
    } else if (field === 'retain') {
      if (key.name === 'space' || key.name === 'left' || key.name === 'right') f.retain = !f.retain;
    } else {
      f[field] += printable(key) ?? '';
    }
    return [];
  }
}
