/**
 * mosquitto_sub's default output (the payload) and -v (topic, space, payload; "(null)" for an empty
 * payload). With colour (a TTY) -v shows the topic in cyan, then the QoS and a retained marker.
 * With --decode the payload printed is the decoded one.
 */
import type { ChalkInstance } from 'chalk';
import type { ReceivedMessage } from './message.js';

export function textLine(msg: ReceivedMessage, verbose: boolean, chalk?: ChalkInstance): Buffer {
  const body = msg.decoded?.text ?? msg.payload;
  if (!verbose) return body;
  const payload = body.length > 0 ? body : Buffer.from('(null)');
  let head = msg.topic;
  if (chalk) {
    head = chalk.cyan(msg.topic);
    if (msg.qos > 0) head += chalk.dim(` q${msg.qos}`);
    if (msg.retain) head += chalk.yellow(' retained');
  }
  return Buffer.concat([Buffer.from(`${head} `), payload]);
}
