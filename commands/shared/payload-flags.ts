/** The payload format flags of pub (--encode) and sub (--decode); the codecs load only when one is given. */
import type { Options } from 'yargs';
import { UsageError } from '../../src/errors.js';
import { DECODE_FORMATS, ENCODE_FORMATS } from '../../src/payload/formats.js';

const PROTO_OPTIONS = {
  proto: { type: 'string', describe: 'with protobuf: the .proto file of the messages' },
  type: { type: 'string', describe: 'with protobuf: the message type (package.Message)' },
} satisfies Record<string, Options>;

export const ENCODE_OPTIONS = {
  encode: {
    type: 'string',
    choices: [...ENCODE_FORMATS],
    describe: 'send the input as FORMAT (JSON text in for cbor, msgpack, protobuf, sparkplug)',
  },
  ...PROTO_OPTIONS,
} satisfies Record<string, Options>;

export const DECODE_OPTIONS = {
  decode: {
    type: 'string',
    choices: [...DECODE_FORMATS],
    describe: 'print payloads decoded from FORMAT; auto: Sparkplug on spBv1.0/, JSON, text or hex',
  },
  ...PROTO_OPTIONS,
} satisfies Record<string, Options>;

export interface PayloadArgv {
  encode?: string;
  decode?: string;
  proto?: string;
  type?: string;
}

/** --proto and --type without the flag they serve; checked before anything loads. */
export function checkProtoFlags(argv: PayloadArgv, flag: 'encode' | 'decode'): void {
  if (argv[flag] === undefined && (argv.proto !== undefined || argv.type !== undefined))
    throw new UsageError(`--proto and --type go with --${flag} protobuf`);
}
