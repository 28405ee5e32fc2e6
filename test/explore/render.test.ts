import { describe, expect, it } from 'vitest';
import { Controller } from '../../src/explore/controller.js';
import { TopicTree } from '../../src/explore/model.js';
import { type FrameInfo, render } from '../../src/explore/render.js';
import { textWidth } from '../../src/explore/text.js';

const NOW = 1_700_000_000_000;
const SGR = /\x1b\[[0-9;]*m/g;
const plain = (lines: string[]) => lines.map((l) => l.replace(SGR, ''));

function tree(): TopicTree {
  const t = new TopicTree();
  const put = (topic: string, payload: string | Buffer, at: number, retain = false) =>
    t.insert({ topic, payload: Buffer.from(payload), qos: 1, retain }, at);
  put('home/kitchen/temp', '21.5', NOW - 120_000, true);
  for (let i = 0; i < 10; i++) put('home/kitchen/temp', String(20 + i / 2), NOW - 10_000 + i * 1000);
  put('home/garage/door', '{"open":false,"battery":87}', NOW - 5_000, true);
  put('evil', 'x\x1b[2J\x1b]52;c;aGVsbG8=\x07\x1b]8;;http://e\x1b\\y', NOW - 1000);
  put('bin', Buffer.from([0, 1, 2, 0xff]), NOW - 1000);
  return t;
}

function frame(c: Controller, cols: number, rows: number, colour = false): string[] {
  const info: FrameInfo = { cols, rows, colour, now: NOW, title: 'localhost:1883  #' };
  return render(c, info);
}

function expectGrid(lines: string[], cols: number, rows: number) {
  expect(lines).toHaveLength(rows);
  for (const l of plain(lines)) {
    expect(textWidth(l)).toBe(cols);
    // Only explore's own SGR sequences: no other escape reaches the terminal.
    expect(l).not.toMatch(/[\x00-\x1f\x7f-\x9f]/);
  }
}

describe('render', () => {
  it.each([
    [80, 24],
    [120, 40],
    [50, 16],
    [20, 6],
  ])('fills exactly %i×%i cells, in colour or not', (cols, rows) => {
    const c = new Controller(tree());
    c.tree.walk((n) => c.tree.setExpanded(n, true));
    expectGrid(frame(c, cols, rows), cols, rows);
    expectGrid(frame(c, cols, rows, true), cols, rows);
    c.handle({ sequence: '?' }, 10);
    expectGrid(frame(c, cols, rows), cols, rows);
  });

  it('at 80×24 shows the tree with last values and markers beside the selected topic', () => {
    const c = new Controller(tree());
    c.tree.setExpanded(c.tree.find('home')!, true);
    c.tree.setExpanded(c.tree.find('home/kitchen')!, true);
    c.state.selected = c.tree.find('home/kitchen/temp');
    const lines = plain(frame(c, 80, 24));
    expect(lines[0]).toMatch(/^ mqx explore {2}localhost:1883 {2}# +4 topics {2}14 msgs {2}\S+\/s $/);
    expect(lines[1]).toContain(' Topics 6/6');
    const rows = lines.slice(2, 8).map((l) => l.slice(0, 40).trimEnd());
    expect(rows[0]).toMatch(/^ {3}bin 0x000102ff +\S+\/s +1$/);
    expect(rows[1]).toMatch(/^ {3}evil x\\e\[2J\\e\]52;… +\S+\/s +1$/);
    expect(rows[2]).toMatch(/^ ▾ home +\S+\/s +12$/);
    expect(rows[3]).toMatch(/^ {3}▸ garage +1$/);
    expect(rows[4]).toMatch(/^ {3}▾ kitchen +\S+\/s +11$/);
    expect(rows[5]).toMatch(/^› {6}temp 24\.5 +R +2m +\S+\/s +11$/);
    const detail = lines.slice(1, 23).map((l) => l.slice(41).trimEnd());
    expect(detail[0]).toBe(' home/kitchen/temp');
    expect(detail[2]).toMatch(/^ QoS 1 {2}retained, set ≥ 2m ago/);
    expect(detail[3]).toMatch(/^ [▁▂▃▄▅▆▇█]{11} 20 … 24\.5$/);
    expect(detail[4]).toMatch(/^ ── payload: text \(f\), 4 B ─+/);
    expect(detail[5]).toBe(' 24.5');
    const earlier = detail.findIndex((l) => l.includes('── earlier'));
    // Every earlier message fits, newest first, with its time.
    expect(
      detail.slice(earlier + 1, earlier + 11).map((l) => l.replace(/^ \d\d:\d\d:\d\d\.\d{3} /, '')),
    ).toEqual(['24', '23.5', '23', '22.5', '22', '21.5', '21', '20.5', '20', '21.5']);
    expect(lines[23]).toMatch(/^ \? help {2}\/ search/);
  });

  it('a narrow terminal stacks the details under the tree', () => {
    const c = new Controller(tree());
    const lines = plain(frame(c, 50, 20));
    const rule = lines.findIndex((l) => l.startsWith('───'));
    expect(rule).toBeGreaterThan(2);
    expect(lines[rule + 1]).toBe(` bin${' '.repeat(46)}`);
    expect(lines.slice(rule).some((l) => l.includes('000000  00 01 02 ff'))).toBe(true);
  });

  it('pretty-prints a JSON payload and shows hostile payloads escaped', () => {
    const c = new Controller(tree());
    c.tree.setExpanded(c.tree.find('home')!, true);
    c.tree.setExpanded(c.tree.find('home/garage')!, true);
    c.state.selected = c.tree.find('home/garage/door');
    let detail = plain(frame(c, 80, 24)).map((l) => l.slice(41).trimEnd());
    expect(detail).toEqual(expect.arrayContaining([' {', '   "open": false,', '   "battery": 87', ' }']));
    c.state.selected = c.tree.find('evil');
    detail = plain(frame(c, 100, 24)).map((l) => l.slice(51).trimEnd());
    expect(detail).toContain(' x\\e[2J\\e]52;c;aGVsbG8=\\x07\\e]8;;http://e\\e\\y');
  });

  it('lists MQTT 5 properties, escaped, and forces a hex view with f', () => {
    const c = new Controller(new TopicTree());
    c.tree.insert(
      {
        topic: 'v5',
        payload: Buffer.from('hi'),
        qos: 1,
        retain: false,
        properties: { contentType: 'text/plain', userProperties: [['who', 'x\x1b[2J']] },
      },
      NOW,
    );
    c.scroll(10);
    let detail = plain(frame(c, 80, 24)).map((l) => l.slice(41).trimEnd());
    expect(detail).toContain(' contentType: text/plain');
    expect(detail).toContain(' user who: x\\e[2J');
    c.handle({ name: 'f', sequence: 'f' }, 10);
    c.handle({ name: 'f', sequence: 'f' }, 10);
    c.handle({ name: 'f', sequence: 'f' }, 10);
    detail = plain(frame(c, 80, 24)).map((l) => l.slice(41).trimEnd());
    expect(detail).toContain(' 000000  68 69        hi');
  });

  it('shows a decoded payload, named, with the warning its decoder gave, escaped', () => {
    const c = new Controller(new TopicTree());
    const hostile = '{\n  "name": "x\x1b[2J",\n  "value": 1\n}';
    c.tree.insert(
      {
        topic: 'spBv1.0/G/NDATA/E',
        payload: Buffer.from([0x08, 0x01]),
        qos: 0,
        retain: false,
        decoded: { format: 'sparkplug', text: hostile, line: 'x\x1b[2J=1', warning: 'seq gap\x07' },
      },
      NOW,
    );
    c.tree.walk((n) => c.tree.setExpanded(n, true));
    c.state.selected = c.tree.find('spBv1.0/G/NDATA/E');
    const lines = plain(frame(c, 80, 24));
    expectGrid(frame(c, 80, 24, true), 80, 24);
    expect(lines.some((l) => /^› +E x\\e\[2J=1 /.test(l.slice(0, 40)))).toBe(true);
    let detail = lines.map((l) => l.slice(41).trimEnd());
    expect(detail.some((l) => /^ ── payload: sparkplug \(f\), 2 B ─+/.test(l))).toBe(true);
    expect(detail).toContain(' seq gap\\x07');
    expect(detail).toEqual(expect.arrayContaining([' {', '   "name": "x\\e[2J",', '   "value": 1', ' }']));
    // f: the raw views, then the decoded one again.
    const views: string[] = [];
    for (let i = 0; i < 4; i++) {
      c.handle({ name: 'f', sequence: 'f' }, 10);
      detail = plain(frame(c, 80, 24)).map((l) => l.slice(41).trimEnd());
      views.push(/payload: (\S+) \(f\)/.exec(detail.join('\n'))![1]!);
    }
    expect(views).toEqual(['text', 'json', 'hex', 'sparkplug']);
    expect(detail).toContain(' }');
  });

  it('the confirmation says how many retained messages go, and which', () => {
    const c = new Controller(tree());
    c.state.selected = c.tree.find('home');
    c.handle({ name: 'd', shift: true, sequence: 'D' }, 10);
    const text = plain(frame(c, 80, 24)).join('\n');
    expect(text).toContain('Clear 2 retained messages under home/#?');
    expect(text).toContain('home/garage/door');
    expect(text).toContain('home/kitchen/temp');
  });

  it('the search prompt and the publish form show what is typed', () => {
    const c = new Controller(tree());
    c.handle({ sequence: '/' }, 10);
    for (const ch of 'home/#') c.handle({ sequence: ch }, 10);
    expect(plain(frame(c, 80, 24))[23]).toMatch(/^\/home\/#█ {3}Enter search/);
    c.handle({ name: 'return' }, 10);
    expect(plain(frame(c, 80, 24))[1]).toContain('search: home/#');
    c.state.selected = c.tree.find('home/kitchen/temp');
    c.handle({ name: 'p', sequence: 'p' }, 10);
    const text = plain(frame(c, 80, 24)).join('\n');
    expect(text).toMatch(/topic +home\/kitchen\/temp/);
    expect(text).toMatch(/› payload +24\.5█/);
    expect(text).toMatch(/retain +\[x\]/);
  });
});
