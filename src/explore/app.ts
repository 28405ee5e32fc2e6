/**
 * explore running: messages from the client go into the tree, keys through the controller,
 * and frames to the screen. Under load the screen is repainted at most every FRAME_MS; a key is
 * repainted at once, which is what keeps a keypress quick however fast messages come.
 */
import { constants } from 'node:os';
import type { ReadStream, WriteStream } from 'node:tty';
import type { Client } from '../client/client.js';
import { ConnectionError, ExitCode, type MqxError, RejectedError } from '../errors.js';
import { reasonName } from '../protocol/reason-codes.js';
import type { Properties, PublishPacket, SubscriptionRequest } from '../protocol/types.js';
import { Controller, type Effect, initialState, type Key } from './controller.js';
import type { PayloadDecoding } from './decoding.js';
import { TopicTree } from './model.js';
import { layout, render } from './render.js';
import { Screen } from './terminal.js';

const FRAME_MS = 100;
/** Retained messages that come this long after subscribing were set just now (MQTT 5 only). */
const REPLAY_MS = 1000;
const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
const SYS: SubscriptionRequest = { topicFilter: '$SYS/#', qos: 0 };

export interface ExploreOptions {
  client: Client;
  requests: SubscriptionRequest[];
  input: ReadStream;
  output: WriteStream;
  title: string;
  colour: boolean;
  subscribeProperties?: Properties;
  /** With MQTT 5 the subscriptions keep the retain flag as published, so it tells live retained. */
  retainAsPublished: boolean;
  /** The payload codecs (--decode); a codec asked for by name is loaded before connecting. */
  decoding: PayloadDecoding;
}

export interface ExploreResult {
  code: number;
  /** Set when the connection was lost for good. */
  error?: MqxError;
}

/**
 * Connects, subscribes and runs until a quit key (or the connection is lost for good). The tree
 * listens before subscribing: retained messages can come in the same read as the SUBACK.
 */
export async function explore(o: ExploreOptions): Promise<ExploreResult> {
  const tree = new TopicTree();
  let subscribedAt = Number.POSITIVE_INFINITY;
  const onMessage = (p: PublishPacket) => {
    const at = Date.now();
    const live = o.retainAsPublished && p.retain && at - subscribedAt > REPLAY_MS;
    o.decoding.take(p.topic, p.payload, (decoded) => {
      tree.insert(decoded ? { ...p, decoded } : p, at, live);
      changed();
    });
  };
  // Messages before the screen opens only fill the tree; the first frame shows them.
  let changed = (): void => undefined;
  if (o.decoding.eager) await o.decoding.ready();
  o.client.on('message', onMessage);
  try {
    await o.client.connect();
    const codes = await o.client.subscribe(o.requests, o.subscribeProperties);
    const refused = codes.findIndex((c) => c >= 0x80);
    if (refused !== -1) {
      const filter = o.requests[refused]!.topicFilter;
      throw new RejectedError(
        `subscription to '${filter}' refused: ${reasonName(codes[refused]!)}`,
        codes[refused]!,
      );
    }
    subscribedAt = Date.now();
  } catch (err) {
    o.client.off('message', onMessage);
    throw err;
  }
  const session = run(o, tree);
  changed = session.changed;
  const result = await session.result;
  o.client.off('message', onMessage);
  return result;
}

/** The screen's side: `changed` asks for a frame soon, `result` settles when explore ends. */
function run(o: ExploreOptions, tree: TopicTree): { changed: () => void; result: Promise<ExploreResult> } {
  const controller = new Controller(tree, initialState(o.decoding.initialMode));
  let offline: string | undefined;
  let timer: NodeJS.Timeout | undefined;
  let finish: (result: ExploreResult) => void = () => undefined;

  const paint = () => {
    clearTimeout(timer);
    timer = undefined;
    const info = {
      cols: screen.cols,
      rows: screen.rows,
      colour: o.colour,
      now: Date.now(),
      title: o.title,
      ...(offline ? { offline } : {}),
    };
    screen.draw(render(controller, info));
  };
  const soon = () => {
    timer ??= setTimeout(paint, FRAME_MS);
  };
  const status = (text: string) => {
    controller.state.status = text;
    paint();
  };
  const failed = (err: unknown) => status(err instanceof Error ? err.message : String(err));

  const run = (effect: Effect) => {
    switch (effect.type) {
      case 'quit':
        finish({ code: effect.code });
        break;
      case 'publish':
        o.client
          .publish(effect.topic, effect.payload, { qos: effect.qos, retain: effect.retain })
          .then(() => status(`published to ${effect.topic}`), failed);
        break;
      case 'clear': {
        const empty = Buffer.alloc(0);
        Promise.all(effect.topics.map((t) => o.client.publish(t, empty, { qos: 1, retain: true }))).then(
          () => {
            for (const t of effect.topics) tree.clearedRetained(t);
            const n = effect.topics.length;
            status(`cleared ${n} retained message${n === 1 ? '' : 's'}`);
          },
          failed,
        );
        break;
      }
      case 'copy':
        screen.send(`\x1b]52;c;${Buffer.from(effect.text).toString('base64')}\x07`);
        status(`copied the ${effect.what} (OSC 52: where the terminal allows it)`);
        break;
      case 'sys':
        (effect.on ? o.client.subscribe([SYS]) : o.client.unsubscribe([SYS.topicFilter])).then(
          () => status(effect.on ? 'showing $SYS/#' : 'no longer receiving $SYS/#'),
          failed,
        );
        break;
    }
  };

  const screen = new Screen(o.input, o.output, {
    key: (key: Key) => {
      const pageRows = layout(screen.cols, screen.rows).treeRows;
      for (const effect of controller.handle(key, pageRows)) run(effect);
      paint();
    },
    resize: paint,
  });

  const onOffline = (err: Error) => {
    offline = `offline: ${err.message}; reconnecting`;
    soon();
  };
  const onConnect = (connack: { sessionPresent: boolean }) => {
    offline = undefined;
    if (!connack.sessionPresent) {
      const requests = controller.state.sys ? [...o.requests, SYS] : o.requests;
      o.client.subscribe(requests).catch(failed);
    }
    soon();
  };
  const onClose = (err?: MqxError) =>
    finish({ code: ExitCode.ConnectionFailed, error: err ?? new ConnectionError('connection closed') });
  o.client.on('offline', onOffline);
  o.client.on('connect', onConnect);
  o.client.on('close', onClose);
  // A signal from outside ends explore like a quit key, so the terminal is given back first.
  const onSignal = (signal: NodeJS.Signals) => finish({ code: 128 + constants.signals[signal] });
  for (const signal of SIGNALS) process.on(signal, onSignal);
  const ticker = setInterval(paint, 1000);
  paint();

  const result = new Promise<ExploreResult>((resolve) => {
    finish = (result) => {
      clearInterval(ticker);
      clearTimeout(timer);
      o.client.off('offline', onOffline);
      o.client.off('connect', onConnect);
      o.client.off('close', onClose);
      for (const signal of SIGNALS) process.off(signal, onSignal);
      screen.close();
      resolve(result);
    };
  });
  return { changed: soon, result };
}
