/**
 * Renders a terminal capture (tmux capture-pane -p) to a PNG for docs/, in a monospace page in
 * headless Chromium: `node scripts/pane-to-png.js CAPTURE.txt docs/OUT.png`.
 * The capture comes from test/commands/up-live.test.ts with MQX_LAB_CAPTURE=FILE.
 */
import { readFileSync } from 'node:fs';
import { chromium } from 'playwright-core';

const [input, output] = process.argv.slice(2);
if (!input || !output) {
  process.stderr.write('usage: node scripts/pane-to-png.js CAPTURE.txt OUT.png\n');
  process.exit(2);
}
const escapeHtml = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const text = readFileSync(input, 'utf8').replace(/\n+$/, '');
const html = `<!doctype html><meta charset="utf-8"><style>
  body { margin: 0; background: #1e1e1e; }
  pre { margin: 0; padding: 12px 16px; color: #d4d4d4; font: 14px/1.35 'DejaVu Sans Mono', monospace; display: inline-block; }
</style><pre>${escapeHtml(text)}</pre>`;
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking'],
});
try {
  const page = await browser.newPage({ deviceScaleFactor: 1 });
  await page.setContent(html);
  await page.locator('pre').screenshot({ path: output });
} finally {
  await browser.close();
}
