/**
 * The dashboard in a real headless Chromium: it loads without console errors, follows clients
 * live, kicks one, draws the message rate while a publisher runs, renders a hostile client id as
 * text, and fits a 375x667 phone screen. MQX_DASHBOARD_SCREENSHOT=FILE also saves a screenshot
 * (docs/dashboard.png was made so).
 */
import mqtt, { type MqttClient } from 'mqtt';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AdminBroker, startAdminBroker } from '../helpers/admin.js';
import { peers } from '../helpers/peers.js';

const HOSTILE_ID = '<img src=x onerror=alert(1)>';

const connect = (port: number, clientId: string) =>
  mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0, protocolVersion: 5, clientId });

describe.runIf(peers.chromium())('the dashboard in headless Chromium', () => {
  let b: AdminBroker;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];
  const clients: MqttClient[] = [];
  beforeAll(async () => {
    b = await startAdminBroker();
    const seed = await connect(b.port, 'seed');
    clients.push(seed);
    for (const [topic, payload] of [
      ['lab/room1/temp', '21.4'],
      ['lab/room1/humidity', '40'],
      ['lab/room2/temp', '19.8'],
      ['site/gateway/status', 'online'],
    ] as const)
      await seed.publishAsync(topic, payload, { retain: true });
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking'],
    });
    page = await browser.newPage({ viewport: { width: 375, height: 667 } });
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page: ${e.message}`));
    page.on('dialog', (d) => {
      problems.push(`dialog: ${d.message()}`);
      void d.dismiss();
    });
    await page.goto(b.url);
    await page.locator('#status', { hasText: 'live' }).waitFor();
  }, 30_000);
  afterAll(async () => {
    await browser?.close();
    await Promise.all(clients.map((c) => c.endAsync(true)));
    await b?.stop();
  });

  const row = (id: string) =>
    page.locator('#clients tbody tr').filter({ has: page.getByText(id, { exact: true }) });

  it('loads with no console errors and shows the retained topic tree', async () => {
    await page.locator('#tree', { hasText: 'humidity' }).waitFor();
    await expect(page.locator('#tree').textContent()).resolves.toMatch(/room2[\s\S]*19\.8/);
    expect(problems).toEqual([]);
  });

  it('shows a client that connects a moment later, and its disappearance after Kick', async () => {
    const c = await connect(b.port, 'kick-me');
    clients.push(c);
    await row('kick-me').waitFor({ timeout: 5_000 });
    const kicked = new Promise<number | undefined>((resolve) =>
      c.once('disconnect', (p) => resolve(p.reasonCode)),
    );
    await row('kick-me').getByRole('button', { name: 'Kick' }).click();
    expect(await kicked).toBe(0x98);
    await row('kick-me').waitFor({ state: 'detached', timeout: 5_000 });
  });

  it('renders a hostile client id as text', async () => {
    clients.push(await connect(b.port, HOSTILE_ID));
    await row(HOSTILE_ID).waitFor({ timeout: 5_000 });
    expect(await page.locator('#clients img').count()).toBe(0);
    await expect(row(HOSTILE_ID).locator('td.id').textContent()).resolves.toBe(HOSTILE_ID);
    expect(problems).toEqual([]);
  });

  it('moves the message-rate chart while a publisher runs', async () => {
    const pub = await connect(b.port, 'publisher');
    clients.push(pub);
    const sub = await connect(b.port, 'listener');
    clients.push(sub);
    await sub.subscribeAsync('rate/#');
    // Typed by hand: this file is type-checked without the DOM library.
    const chart = () =>
      page.locator('#chart').evaluate((c) => (c as unknown as { toDataURL(): string }).toDataURL());
    const before = await chart();
    const timer = setInterval(() => {
      for (let i = 0; i < 20; i++) pub.publish('rate/x', 'tick');
    }, 50);
    try {
      await expect
        .poll(async () => Number(await page.locator('#k-in').textContent()), { timeout: 8_000 })
        .toBeGreaterThan(50);
      const during = await chart();
      await page.waitForTimeout(1_500);
      const later = await chart();
      expect(during).not.toBe(before);
      expect(later).not.toBe(during);
      expect(Number(await page.locator('#k-out').textContent())).toBeGreaterThan(50);
    } finally {
      clearInterval(timer);
    }
  });

  it('has no horizontal overflow at 375x667', async () => {
    const widths = await page.evaluate(() => {
      type Box = { scrollWidth: number };
      const w = globalThis as unknown as {
        document: { documentElement: Box; body: Box };
        innerWidth: number;
      };
      return {
        scroll: w.document.documentElement.scrollWidth,
        body: w.document.body.scrollWidth,
        view: w.innerWidth,
      };
    });
    expect(widths.scroll).toBeLessThanOrEqual(widths.view);
    expect(widths.body).toBeLessThanOrEqual(widths.view);
    expect(problems).toEqual([]);
  });

  it.runIf(process.env.MQX_DASHBOARD_SCREENSHOT)('saves a screenshot', async () => {
    await page.setViewportSize({ width: 1200, height: 900 });
    await page.waitForTimeout(1_500);
    await page.screenshot({ path: process.env.MQX_DASHBOARD_SCREENSHOT!, fullPage: true });
  });
});
