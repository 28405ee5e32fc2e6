/** The client API that pub, sub, bridge and bench use. */
export { Client, type ClientEvents, type PublishOptions, type PublishResult } from './client.js';
export { topicMatches } from './match.js';
export type { ClientOptions, ReconnectOptions, TraceHook } from './options.js';
export { ClientSession } from './session.js';
