import { describe, expect, it } from 'vitest';
import { Controller, type Key } from '../../src/explore/controller.js';
import { TopicTree } from '../../src/explore/model.js';

const msg = (topic: string, payload: string, retain = false) => ({
  topic,
  payload: Buffer.from(payload),
  qos: 0 as const,
  retain,
});

function setup(): Controller {
  const tree = new TopicTree();
  for (const t of ['a/x', 'a/y', 'b/z', 'c']) tree.insert(msg(t, `v-${t}`, t !== 'a/y'), 0);
  return new Controller(tree);
}

/** Keys as node:readline reports them: letters with name and shift, others by sequence. */
function key(k: string): Key {
  const named: Record<string, Key> = {
    Enter: { name: 'return', sequence: '\r' },
    Esc: { name: 'escape', sequence: '\x1b' },
    Tab: { name: 'tab', sequence: '\t' },
    Backspace: { name: 'backspace', sequence: '\x7f' },
    Space: { name: 'space', sequence: ' ' },
    Down: { name: 'down', sequence: '\x1b[B' },
    Right: { name: 'right', sequence: '\x1b[C' },
    'C-c': { name: 'c', ctrl: true, sequence: '\x03' },
  };
  if (named[k]) return named[k];
  if (/^[a-z]$/.test(k)) return { name: k, sequence: k };
  if (/^[A-Z]$/.test(k)) return { name: k.toLowerCase(), shift: true, sequence: k };
  if (/^[0-9]$/.test(k)) return { name: k, sequence: k };
  return { sequence: k };
}

function press(c: Controller, ...keys: string[]) {
  return keys.flatMap((k) => c.handle(key(k), 10));
}

const selected = (c: Controller) => c.state.selected?.path;

describe('Controller', () => {
  it('moves with arrows and vim keys, expands and collapses', () => {
    const c = setup();
    c.scroll(10);
    expect(selected(c)).toBe('a');
    press(c, 'l', 'j');
    expect(selected(c)).toBe('a/x');
    press(c, 'h');
    expect(selected(c)).toBe('a');
    press(c, 'h');
    expect(c.tree.find('a')!.expanded).toBe(false);
    press(c, 'G');
    expect(selected(c)).toBe('c');
    press(c, 'g', 'Down', 'Enter', 'Right');
    expect(c.tree.find('b')!.expanded).toBe(true);
    expect(c.tree.rows().map((r) => r.node.path)).toEqual(['a', 'b', 'b/z', 'c']);
  });

  it('q quits with 0, Ctrl-C with 130, ? opens the help which any key closes', () => {
    const c = setup();
    expect(press(c, 'q')).toEqual([{ type: 'quit', code: 0 }]);
    expect(press(c, 'C-c')).toEqual([{ type: 'quit', code: 130 }]);
    press(c, '?');
    expect(c.state.overlay?.kind).toBe('help');
    expect(press(c, 'j')).toEqual([]);
    expect(c.state.overlay).toBeUndefined();
  });

  it('/ searches as typed on Enter; n and N move between matches; Esc ends it', () => {
    const c = setup();
    press(c, '/', ...'+/x', 'Backspace', 'z', 'Enter');
    expect(c.tree.search?.text).toBe('+/z');
    expect(selected(c)).toBe('b/z');
    expect(c.tree.rows().map((r) => r.node.path)).toEqual(['b', 'b/z']);
    press(c, '/', 'Backspace', 'Backspace', 'Backspace', ...'^(a|c)', 'Enter');
    const matches = () =>
      c.tree
        .rows()
        .filter((r) => r.node.match)
        .map((r) => r.node.path);
    expect(matches()).toEqual(['a', 'a/x', 'a/y', 'c']);
    expect(selected(c)).toBe('a');
    press(c, 'n', 'n');
    expect(selected(c)).toBe('a/y');
    press(c, 'N', 'N', 'N');
    expect(selected(c)).toBe('c');
    press(c, 'Esc');
    expect(c.tree.search).toBeUndefined();
    expect(c.tree.rows()).toHaveLength(3);
  });

  it('D asks before clearing the retained messages of a subtree, and says how many', () => {
    const c = setup();
    c.scroll(10);
    expect(press(c, 'D')).toEqual([]);
    expect(c.state.overlay).toEqual({ kind: 'confirm', under: 'a/#', topics: ['a/x'] });
    expect(press(c, 'n')).toEqual([]);
    expect(c.state.overlay).toBeUndefined();
    expect(press(c, 'D', 'y')).toEqual([{ type: 'clear', topics: ['a/x'] }]);
    press(c, 'G', 'd');
    expect(press(c, 'y')).toEqual([{ type: 'clear', topics: ['c'] }]);
  });

  it('d on a topic without a retained message says so', () => {
    const c = setup();
    press(c, 'l', 'j', 'j');
    expect(selected(c)).toBe('a/y');
    press(c, 'd');
    expect(c.state.overlay).toBeUndefined();
    expect(c.state.status).toBe('no retained message here');
  });

  it('p opens a publish form filled from the selection; Enter publishes what was typed', () => {
    const c = setup();
    press(c, 'G', 'p');
    expect(c.state.overlay?.kind).toBe('publish');
    const effects = press(c, 'Backspace', 'Backspace', ...'42', 'Tab', '2', 'Tab', 'Space', 'Enter');
    expect(effects).toEqual([{ type: 'publish', topic: 'c', payload: 'v42', qos: 2, retain: false }]);
    press(c, 'p', 'Esc');
    expect(c.state.overlay).toBeUndefined();
  });

  it('typed text takes no control characters; c and y copy the topic and the payload', () => {
    const c = setup();
    press(c, '/', 'a\x1b[2J', 'Enter');
    expect(c.tree.search?.text).toBe('a[2J');
    press(c, 'Esc', 'G');
    expect(press(c, 'c', 'y')).toEqual([
      { type: 'copy', what: 'topic', text: 'c' },
      { type: 'copy', what: 'payload', text: 'v-c' },
    ]);
  });

  it('where a codec decoded the payload, f cycles decoded, text, JSON, hex; y copies what is shown', () => {
    const tree = new TopicTree();
    tree.insert({ ...msg('m', '\xa1'), decoded: { format: 'cbor', text: '{"a": 1}' } }, 0);
    tree.insert(msg('plain', 'v'), 0);
    const c = new Controller(tree);
    press(c, 'g');
    expect(c.state.selected?.path).toBe('m');
    expect(press(c, 'y')).toEqual([{ type: 'copy', what: 'decoded payload', text: '{"a": 1}' }]);
    const modes = [...Array(4)].map(() => {
      press(c, 'f');
      return c.state.payloadMode;
    });
    expect(modes).toEqual(['text', 'json', 'hex', 'decoded']);
    // On a topic no codec read, the decoded view is auto's place in the cycle.
    press(c, 'j');
    expect(press(c, 'y')).toEqual([{ type: 'copy', what: 'payload', text: 'v' }]);
    press(c, 'f');
    expect(c.state.payloadMode).toBe('text');
    press(c, 'f', 'f', 'f');
    expect(c.state.payloadMode).toBe('auto');
  });

  it('f cycles the payload view; $ toggles $SYS', () => {
    const c = setup();
    press(c, 'f');
    expect(c.state.payloadMode).toBe('text');
    press(c, 'f', 'f', 'f');
    expect(c.state.payloadMode).toBe('auto');
    expect(press(c, '$', '$')).toEqual([
      { type: 'sys', on: true },
      { type: 'sys', on: false },
    ]);
  });

  it('scroll keeps the selection on screen', () => {
    const tree = new TopicTree();
    for (let i = 0; i < 50; i++) tree.insert(msg(`t${String(i).padStart(2, '0')}`, 'x'), 0);
    const c = new Controller(tree);
    for (let i = 0; i < 30; i++) c.handle(key('j'), 10);
    expect(c.scroll(10)).toBe(30);
    expect(c.state.top).toBe(21);
    c.handle({ name: 'pageup' }, 10);
    c.handle({ name: 'pageup' }, 10);
    expect(c.scroll(10)).toBe(10);
    expect(c.state.top).toBe(10);
  });
});
