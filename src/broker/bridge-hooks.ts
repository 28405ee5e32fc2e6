import type { BridgeConfig } from '../config/broker-config.js';
import type { Message } from './message.js';
import type { Session } from './session.js';

type UserProperties = ReadonlyArray<[string, string]> | undefined;

/**
 * Steering points for multi-hop loop prevention, which src/bridge/hop-guard.ts attaches: the broker
 * asks them only about bridged messages and bridge connections, and without them pays a null check.
 */
export interface BridgeHooks {
  /** The form a message takes to a bridge session (marked, so that its copies can be told). */
  leaving(message: Message): Message;
  /** A PUBLISH that came over a bridge link: false when it is a copy this broker has had. */
  arriving(userProperties: UserProperties): boolean;
  /** Whether a PUBLISH carries the marks `leaving` gives, so it crossed a bridge. */
  marked(userProperties: UserProperties): boolean;
  /** Whether a CONNECT announces a bridge (on MQTT 5, which has no bridge flag). */
  isBridgeConnect(userProperties: UserProperties): boolean;
  /** Copies refused so far. */
  readonly copies: number;
}

/** What an in-broker bridge shows of itself to those who watch the broker (admin API, labs). */
export interface BridgeView {
  readonly name: string;
  readonly config: BridgeConfig;
  readonly isUp: boolean;
  /** The remote connection while it is up. */
  readonly remote: object | undefined;
  readonly forwardedIn: readonly number[];
  readonly forwardedOut: readonly number[];
  readonly session: Session;
}

export interface RunningBridgeViews {
  readonly bridges: ReadonlyMap<string, BridgeView>;
}
