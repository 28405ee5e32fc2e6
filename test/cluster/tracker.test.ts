import { describe, expect, it } from 'vitest';
import { Message } from '../../src/broker/message.js';
import { Outgoing, Session } from '../../src/broker/session.js';
import { DeliveryTracker } from '../../src/cluster/tracker.js';

function setup() {
  const released: string[] = [];
  const tracker = new DeliveryTracker((stream, id) => released.push(`${stream}/${id}`));
  const persistent = new Session('p');
  persistent.expiryInterval = 60;
  const clean = new Session('c');
  const message = new Message('t', Buffer.from('x'), 1, false, undefined, 0, '', false);
  const out = (qos: 0 | 1 = 1): Outgoing => new Outgoing(message, qos, false, undefined);
  return { released, tracker, persistent, clean, message, out };
}

describe('delivery tracker', () => {
  it('releases an inbox entry at once when no persistent session took the message', () => {
    const { released, tracker, clean, message, out } = setup();
    tracker.begin(message, 'inbox', '1-0');
    tracker.open(clean, out());
    tracker.routed(message);
    expect(released).toEqual(['inbox/1-0']);
  });

  it('keeps an entry until every persistent delivery is over, counting a delivery once', () => {
    const { released, tracker, persistent, message, out } = setup();
    tracker.begin(message, 'inbox', '1-0');
    const a = out();
    const b = out();
    tracker.open(persistent, a);
    tracker.open(persistent, a);
    tracker.open(persistent, b);
    tracker.open(persistent, out(0));
    tracker.routed(message);
    tracker.close(a);
    expect(released).toEqual([]);
    tracker.close(b);
    expect(released).toEqual(['inbox/1-0']);
  });

  it('a message published here is logged once, and its entry released even if the deliveries end first', () => {
    const { released, tracker, persistent, message, out } = setup();
    const a = out();
    tracker.open(persistent, a);
    expect(tracker.needsLog(message, 'log')).toBe(true);
    expect(tracker.needsLog(message, 'log')).toBe(false);
    tracker.close(a);
    tracker.logged(message, 'log', '7-0');
    expect(released).toEqual(['log/7-0']);
  });

  it('a destroyed session closes its deliveries', () => {
    const { released, tracker, persistent, message, out } = setup();
    tracker.begin(message, 'inbox', '2-0');
    const a = out();
    persistent.queue.push(a);
    tracker.open(persistent, a);
    tracker.routed(message);
    tracker.closeSession(persistent);
    expect(released).toEqual(['inbox/2-0']);
  });
});
