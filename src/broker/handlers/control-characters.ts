import { ProtocolError } from '../../protocol/errors.js';
import { ReasonCode } from '../../protocol/reason-codes.js';
import { hasControlCharacter } from '../../protocol/utf8.js';

/**
 * A topic name or filter with control characters, which 3.1.1 1.5.3 and 5.0 1.5.4 say SHOULD
 * NOT be sent, closes the connection as in mosquitto. The name is well-formed, so a 5.0 client is
 * told 0x90 / 0x8F rather than mosquitto's 0x81 Malformed Packet (docs/reason-codes.md).
 */
export function checkControlCharacters(name: string, kind: 'topic' | 'filter'): void {
  if (!hasControlCharacter(name)) return;
  throw new ProtocolError(
    `topic ${kind} ${JSON.stringify(name)} contains a control character`,
    kind === 'topic' ? ReasonCode.TopicNameInvalid : ReasonCode.TopicFilterInvalid,
  );
}

/** checkControlCharacters for a PUBLISH topic name: the decoder's checkTopic in a broker. */
export function checkTopicCharacters(topic: string): void {
  checkControlCharacters(topic, 'topic');
}
