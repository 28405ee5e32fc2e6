import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import mqtt from 'mqtt';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type InProcessBroker, startBroker } from '../helpers/broker.js';
import { peers } from '../helpers/peers.js';
import { ROOT } from '../helpers/processes.js';

/** A page that uses MQTT.js's browser bundle, as a web dashboard would. */
const PAGE = `<!doctype html>
<html><body><pre id="log"></pre>
<script src="/mqtt.min.js"></script>
<script>
  const log = (line) => { document.getElementById('log').textContent += line + '\\n'; };
  window.runMqtt = (url) => new Promise((resolve, reject) => {
    const client = mqtt.connect(url, { protocolVersion: 5, reconnectPeriod: 0 });
    client.on('error', (e) => reject(String(e)));
    client.on('connect', () => {
      log('connected');
      client.subscribe('browser/in', { qos: 1 }, () => {
        client.publish('browser/ready', 'subscribed', { qos: 1 });
      });
    });
    client.on('message', (topic, payload) => {
      log(topic + ' ' + payload);
      client.publish('browser/out', 'echo:' + payload, { qos: 1 }, () => {
        client.end();
        resolve(String(payload));
      });
    });
  });
</script></body></html>`;

describe.runIf(peers.chromium())('a real headless Chromium over WebSocket', () => {
  let b: InProcessBroker;
  let server: http.Server;
  let pageUrl: string;
  beforeAll(async () => {
    b = await startBroker({
      listeners: [{ port: 0, host: '127.0.0.1', protocol: 'websockets', maxConnections: 0 }],
    });
    const bundle = readFileSync(path.join(ROOT, 'node_modules/mqtt/dist/mqtt.min.js'));
    server = http.createServer((req, res) => {
      if (req.url === '/mqtt.min.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(bundle);
      else res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    pageUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    await b.stop();
  });

  it('subscribes and publishes through mqx broker with MQTT.js browser bundle', async () => {
    // Playwright gives the browser a fresh, empty profile directory of its own.
    const browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    const node = await mqtt.connectAsync(`ws://127.0.0.1:${b.port}/mqtt`, { reconnectPeriod: 0 });
    try {
      await node.subscribeAsync(['browser/ready', 'browser/out'], { qos: 1 });
      const page = await browser.newPage();
      await page.goto(pageUrl);
      const ready = new Promise<void>((resolve) =>
        node.on('message', (t) => t === 'browser/ready' && resolve()),
      );
      const echoed = new Promise<string>((resolve) =>
        node.on('message', (t, p) => t === 'browser/out' && resolve(p.toString())),
      );
      const inPage = page.evaluate(
        (url) => (globalThis as unknown as { runMqtt(u: string): Promise<string> }).runMqtt(url),
        `ws://127.0.0.1:${b.port}/mqtt`,
      );
      await ready;
      await node.publishAsync('browser/in', 'hello-browser', { qos: 1 });
      expect(await inPage).toBe('hello-browser');
      expect(await echoed).toBe('echo:hello-browser');
      expect(await page.textContent('#log')).toContain('browser/in hello-browser');
    } finally {
      await node.endAsync();
      await browser.close();
    }
  }, 60_000);
});
