/**
 * The command side of --encode and --decode: checks the flags, reads the .proto, builds the codec
 * from src/payload. Loaded only when one of those flags is given (its own bundle), so that a plain
 * `mqx pub` or `mqx sub` never loads protobufjs, cbor-x or @msgpack/msgpack.
 */
import type { Root } from 'protobufjs';
import { UsageError } from '../../src/errors.js';
import {
  createDecoder,
  createEncoder,
  type DecodeFormat,
  type EncodeFormat,
  type PayloadDecoder,
  type PayloadEncoder,
} from '../../src/payload/index.js';
import type { PayloadArgv } from './payload-flags.js';

async function loadProto(
  format: string,
  argv: PayloadArgv,
): Promise<{ root: Root; type: string } | undefined> {
  if (format !== 'protobuf') {
    if (argv.proto !== undefined || argv.type !== undefined)
      throw new UsageError('--proto and --type only apply to the protobuf format');
    return undefined;
  }
  if (argv.proto === undefined || argv.type === undefined)
    throw new UsageError('the protobuf format needs --proto FILE.proto and --type package.Message');
  const { default: protobuf } = await import('protobufjs');
  try {
    return { root: protobuf.loadSync(argv.proto), type: argv.type };
  } catch (err) {
    throw new UsageError(`cannot read ${argv.proto}: ${(err as Error).message}`);
  }
}

/** A codec that cannot be built (a --type the .proto lacks) is a usage error. */
async function usage<T>(codec: Promise<T>): Promise<T> {
  try {
    return await codec;
  } catch (err) {
    throw err instanceof UsageError ? err : new UsageError((err as Error).message);
  }
}

export async function payloadEncoder(argv: PayloadArgv): Promise<PayloadEncoder> {
  const format = argv.encode as EncodeFormat;
  const proto = await loadProto(format, argv);
  return usage(createEncoder({ format, ...(proto ? { proto } : {}) }));
}

export async function payloadDecoder(
  argv: PayloadArgv,
  pretty: boolean,
  warn: (line: string) => void,
): Promise<PayloadDecoder> {
  const format = argv.decode as DecodeFormat;
  const proto = await loadProto(format, argv);
  return usage(createDecoder({ format, pretty, warn, ...(proto ? { proto } : {}) }));
}
