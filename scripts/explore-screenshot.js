/**
 * Renders docs/explore.png: `mqx explore` at 100×30 in tmux against an mqx broker with a few
 * sample topics, the pane captured with its colours (capture-pane -e), turned into an HTML <pre>
 * and photographed by headless chromium (playwright-core). Needs a build, tmux and chromium.
 *
 *   npm run build && node scripts/explore-screenshot.js
 */
import { execFileSync, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MQX = path.join(ROOT, 'bin/mqx.js');
const SOCKET = `mqx-screenshot-${process.pid}`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const tmux = (...args) => execFileSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8' });

const COLOURS = { 31: '#e06c75', 32: '#98c379', 33: '#e5c07b', 35: '#c678dd', 36: '#56b6c2' };

/** The SGR codes explore writes, as spans; everything else in the capture is text. */
function toHtml(text) {
  const escapeHtml = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  let style = {};
  let out = '';
  for (const part of text.split(/(\x1b\[[0-9;]*m)/)) {
    const m = /^\x1b\[([0-9;]*)m$/.exec(part);
    if (!m) {
      const css = [];
      const fg = style.fg ?? '#d7dae0';
      const bg = '#1e2127';
      if (style.inverse) css.push(`color:${bg};background:${fg}`);
      else css.push(`color:${fg}`);
      if (style.bold) css.push('font-weight:bold');
      if (style.dim) css.push('opacity:0.6');
      if (style.underline) css.push('text-decoration:underline');
      out += part ? `<span style="${css.join(';')}">${escapeHtml(part)}</span>` : '';
      continue;
    }
    for (const code of (m[1] || '0').split(';').map(Number)) {
      if (code === 0) style = {};
      else if (code === 1) style.bold = true;
      else if (code === 2) style.dim = true;
      else if (code === 4) style.underline = true;
      else if (code === 7) style.inverse = true;
      else if (code === 22) style = { ...style, bold: false, dim: false };
      else if (code === 27) style.inverse = false;
      else if (code === 39) style.fg = undefined;
      else if (COLOURS[code]) style.fg = COLOURS[code];
    }
  }
  return out;
}

async function main() {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const broker = spawn('node', [MQX, 'broker', '-p', String(port)], { stdio: 'ignore' });
  try {
    await sleep(800);
    const pub = (topic, message, retain = true) =>
      execFileSync('mosquitto_pub', [
        '-p',
        String(port),
        '-t',
        topic,
        '-m',
        message,
        ...(retain ? ['-r'] : []),
      ]);
    pub('home/kitchen/light', 'on');
    pub('home/garage/door', '{"open":false,"battery":87,"updated":"2026-12-01T09:40:00Z"}');
    pub('home/garage/light', 'off');
    pub('lab/broker-a/status', 'online');
    pub('lab/broker-b/status', 'offline');
    pub('evil', 'x\x1b[2J\x1b]52;c;aGFja2Vk\x07y');
    tmux('-f', '/dev/null', 'new-session', '-d', '-x', '100', '-y', '30', `node ${MQX} explore -p ${port}`);
    await sleep(800);
    for (let i = 0; i < 24; i++) {
      pub('home/kitchen/temp', (21 + Math.sin(i / 3) * 1.5).toFixed(1), false);
      pub('home/living/temp', (19.5 + Math.cos(i / 4)).toFixed(1), false);
      await sleep(60);
    }
    pub('home/kitchen/temp', '22.4');
    // Down to home, open it all, down to home/kitchen/temp.
    tmux('send-keys', 'j', '*', 'j', 'j', 'j', 'j', 'j', 'j');
    await sleep(600);
    const capture = tmux('capture-pane', '-p', '-e');
    tmux('send-keys', 'q');
    const markup = `<html><body style="margin:0;background:#1e2127"><pre style="margin:0;padding:12px;font:15px/1.25 'DejaVu Sans Mono',monospace;color:#d7dae0">${toHtml(capture)}</pre></body></html>`;
    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking'],
    });
    const page = await browser.newPage({ viewport: { width: 100 * 9 + 24, height: 30 * 19 + 24 } });
    await page.setContent(markup);
    const pre = await page.$('pre');
    await pre.screenshot({ path: path.join(ROOT, 'docs/explore.png') });
    await browser.close();
  } finally {
    try {
      tmux('kill-server');
    } catch {
      // The session ended with explore.
    }
    broker.kill();
  }
}

await main();
