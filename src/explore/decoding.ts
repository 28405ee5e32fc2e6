/**
 * explore's side of the payload codecs (src/payload, `--decode`): which messages go through a
 * codec, and when. Decoding happens as messages arrive, in order, on the whole payload: the tree
 * keeps payloads cut to a bound, and Sparkplug's DATA messages name metrics by an alias only the
 * BIRTH before them explains (the decoder's session remembers it).
 *
 * In `auto` only spBv1.0/ topics need a codec, and protobufjs loads when the first of them
 * arrives: messages on spBv1.0/ wait for it (a few ms, once), every other topic goes straight in.
 * `text`, `json` and `hex` are views explore has without a codec: they only pick the first view.
 */
import type { DecodeFormat, PayloadDecoder } from '../payload/index.js';
import { type PayloadMode, sparkplugLine } from './payload-view.js';

/** What a codec made of one payload: its text for people, and what it had to say about it. */
export interface Decoded {
  /** The format a codec read it as (sparkplug, cbor...); absent when none could. */
  format?: string;
  /** The decoded form for people (indented JSON for the structured formats). */
  text?: string;
  /** A shorter one-line form for the tree than `text` on one line, where the format has one. */
  line?: string;
  /** The decoder's warnings: not in the format asked for, a Sparkplug seq gap, an unknown alias. */
  warning?: string;
}

/** Builds the decoder for a format; its warnings go to `warn`. */
export type DecoderLoader = (warn: (line: string) => void) => Promise<PayloadDecoder>;

const SPARKPLUG = 'spBv1.0/';
const VIEWS: Partial<Record<DecodeFormat, PayloadMode>> = { text: 'text', json: 'json', hex: 'hex' };
/** What a decoder falls back to for a payload it could not read: explore's own views show those. */
const PLAIN = new Set(['text', 'json', 'hex']);

export class PayloadDecoding {
  private decoder: PayloadDecoder | undefined;
  private loading: Promise<void> | undefined;
  /** Why the codec could not load: the messages it was for say so in the pane. */
  private broken: Decoded | undefined;
  /** Messages that arrived while the codec loaded, in arrival order. */
  private readonly waiting: Array<() => void> = [];
  private warnings: string[] = [];

  constructor(
    readonly format: DecodeFormat,
    private readonly load: DecoderLoader,
  ) {}

  /** The view explore opens in. */
  get initialMode(): PayloadMode {
    return VIEWS[this.format] ?? 'auto';
  }

  /** Whether a format asked for needs its codec loaded before the screen opens (a bad --proto is exit 2). */
  get eager(): boolean {
    return this.format !== 'auto' && VIEWS[this.format] === undefined;
  }

  /** Loads the codec; rejects as the loader does (a UsageError for a bad --proto or --type). */
  ready(): Promise<void> {
    this.loading ??= this.load((line) => this.warnings.push(line)).then((decoder) => {
      this.decoder = decoder;
    });
    return this.loading;
  }

  private applies(topic: string): boolean {
    return this.format === 'auto' ? topic.startsWith(SPARKPLUG) : this.eager;
  }

  /** `deliver` gets the message's decoded form (or undefined): at once, or in order once the codec is in. */
  take(topic: string, payload: Buffer, deliver: (decoded: Decoded | undefined) => void): void {
    if (!this.applies(topic)) {
      deliver(undefined);
      return;
    }
    if ((this.decoder || this.broken) && this.waiting.length === 0) {
      deliver(this.decode(topic, payload));
      return;
    }
    this.waiting.push(() => deliver(this.decode(topic, payload)));
    if (this.waiting.length > 1) return;
    this.ready().then(
      () => this.flush(),
      (err: unknown) => {
        this.broken = { warning: `not decoded: ${err instanceof Error ? err.message : String(err)}` };
        this.flush();
      },
    );
  }

  private flush(): void {
    for (const next of this.waiting.splice(0)) next();
  }

  private decode(topic: string, payload: Buffer): Decoded | undefined {
    if (!this.decoder) return this.broken;
    this.warnings = [];
    const decoded = this.decoder(topic, payload);
    // The topic is on screen already: "warning: TOPIC: " would only push the reason out of the pane.
    const prefix = `warning: ${topic}: `;
    const warning = this.warnings.map((w) => (w.startsWith(prefix) ? w.slice(prefix.length) : w)).join('; ');
    const codec = !PLAIN.has(decoded.format);
    if (!codec && warning === '') return undefined;
    const line = decoded.format === 'sparkplug' ? sparkplugLine(decoded.json) : undefined;
    return {
      ...(codec ? { format: decoded.format, text: decoded.text.toString('utf8') } : {}),
      ...(line === undefined ? {} : { line }),
      ...(warning === '' ? {} : { warning }),
    };
  }
}
