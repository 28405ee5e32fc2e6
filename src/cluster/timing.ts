/** A node refreshes its heartbeat every second; one silent for this long is dead. */
export const ALIVE_MS = 5000;
export const HEARTBEAT_MS = 1000;
/** A node only judges others dead after its own link to Redis has been up this long. */
export const JUDGE_AFTER_MS = ALIVE_MS + 2 * HEARTBEAT_MS;
/** How long a node that has a session may take to answer a request to hand it over. */
export const REPLY_TIMEOUT_MS = 2000;
/** How long bringing a session here, or waiting for another node's adoption, may take. */
export const CLAIM_TIMEOUT_MS = 15_000;
