/**
 * GET /api/v1/events: server-sent events for the dashboard. Once a second every open stream
 * gets the broker's totals (`stats`), and the client list (`clients`) when it changed. The timer
 * runs only while a stream is open, so an admin listener nobody watches costs nothing.
 */
import type { ServerResponse } from 'node:http';
import type { Broker } from '../broker/broker.js';
import { bridgeViews, clientView, sessionsById } from './views.js';

const TICK_MS = 1000;
/** The dashboard shows this many clients; the API pages through the rest. */
const CLIENTS_SHOWN = 200;

export class EventStreams {
  private readonly streams = new Set<ServerResponse>();
  private timer: NodeJS.Timeout | undefined;
  private lastClients = '';

  constructor(private readonly broker: Broker) {}

  open(res: ServerResponse): void {
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      Connection: 'keep-alive',
    });
    res.write('retry: 2000\n\n');
    this.streams.add(res);
    res.on('close', () => {
      this.streams.delete(res);
      if (this.streams.size === 0) this.stopTimer();
    });
    this.lastClients = '';
    this.tick();
    if (this.timer === undefined) {
      this.timer = setInterval(() => this.tick(), TICK_MS);
      this.timer.unref();
    }
  }

  close(): void {
    this.stopTimer();
    for (const res of this.streams) res.end();
    this.streams.clear();
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private tick(): void {
    const b = this.broker;
    const s = b.stats;
    this.send('stats', {
      time: Date.now(),
      connected: b.connectedCount,
      sessions: b.sessions.size,
      received: s.publishReceived,
      sent: s.publishSent,
      dropped: s.dropped,
      bytes_received: s.bytesReceived,
      bytes_sent: s.bytesSent,
      retained: b.retained.size,
      subscriptions: b.router.size,
      paused: b.flow.pausedSources,
    });
    const clients = sessionsById(b, CLIENTS_SHOWN).sessions.map(clientView);
    const key = JSON.stringify(clients.map((c) => [c.id, c.connected, c.address]));
    if (key !== this.lastClients) {
      this.lastClients = key;
      this.send('clients', { total: b.sessions.size, clients });
    }
    if (b.bridges !== undefined) this.send('bridges', bridgeViews(b));
  }

  private send(event: string, data: unknown): void {
    const frame = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const res of this.streams) res.write(frame);
  }
}
