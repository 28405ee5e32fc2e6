/**
 * `mqx pub -l --topic-from-line`: each stdin line is "TOPIC PAYLOAD", split at the first space
 * (mosquitto issue 3060), so one process can feed many topics from a script or a log.
 */
import { UsageError } from '../errors.js';
import { validateTopicName } from '../topics/validate.js';

export interface TopicLine {
  topic: string;
  payload: Buffer;
}

/** `lineNumber` (from 1) is for the error message; a line without a space is a topic with an empty payload. */
export function splitTopicLine(line: Buffer, lineNumber: number): TopicLine {
  const space = line.indexOf(32);
  const topic = (space === -1 ? line : line.subarray(0, space)).toString('utf8');
  const problem = topic === '' ? 'the topic is empty' : validateTopicName(topic);
  if (problem) throw new UsageError(`stdin line ${lineNumber}: ${problem}`);
  return { topic, payload: space === -1 ? Buffer.alloc(0) : line.subarray(space + 1) };
}
