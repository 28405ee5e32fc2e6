/**
 * The protobufjs Payload type, built from the schema once protobufjs is loaded: loadSparkplug()
 * first (the codecs are loaded only when a command line asks for them), then payloadType().
 */
import type { IConversionOptions, Type } from 'protobufjs';
import { SPARKPLUG_SCHEMA } from './schema.js';

let payload: Type | undefined;

export async function loadSparkplug(): Promise<void> {
  if (payload) return;
  const { default: protobuf } = await import('protobufjs');
  payload = protobuf.Root.fromJSON(SPARKPLUG_SCHEMA).lookupType('org.eclipse.tahu.protobuf.Payload');
}

export function payloadType(): Type {
  if (!payload) throw new Error('loadSparkplug() first');
  return payload;
}

/** What protobufjs's toObject gives with these options: 64-bit fields as decimal strings, bytes as buffers. */
export const OBJECT_OPTIONS: IConversionOptions = { longs: String, defaults: false, oneofs: true };

/** A decoded protobuf message as toObject hands it over. */
export type Raw = Record<string, unknown>;

/** The uuid Eclipse Tahu gives a payload whose body is another payload, compressed. */
export const COMPRESSED_UUID = 'SPBV1.0_COMPRESSED';
