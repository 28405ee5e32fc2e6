import { ReasonCode } from './reason-codes.js';

/**
 * A packet the peer should not have sent. Carries the reason code to put in a 5.0 CONNACK or
 * DISCONNECT before closing, and the normative statement broken where one applies.
 */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';

  constructor(
    message: string,
    readonly reasonCode: number = ReasonCode.MalformedPacket,
    readonly statement?: string,
  ) {
    super(statement ? `${message} [${statement}]` : message);
  }
}
