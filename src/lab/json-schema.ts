/**
 * The JSON Schema of a lab file, derived from the Spec its loader validates with, so that an
 * editor's checking and `mqx up`'s cannot disagree. schemas/lab.schema.json is this, written out
 * (test/lab/json-schema.test.ts keeps the two equal).
 */
import type { Spec } from '../config/schema.js';
import { LAB_SPEC } from './lab-file.js';

type JsonSchema = Record<string, unknown>;

export function toJsonSchema(spec: Spec): JsonSchema {
  switch (spec.t) {
    case 'string':
    case 'path':
    case 'secret':
      return { type: 'string', minLength: 1 };
    case 'bool':
      return { type: 'boolean' };
    case 'int':
      return { type: 'integer', minimum: spec.min, maximum: spec.max };
    case 'enum':
      return { enum: [...spec.values] };
    case 'duration':
      return { oneOf: [{ type: 'integer', minimum: 1 }, { type: 'string' }] };
    case 'array':
      return { type: 'array', items: toJsonSchema(spec.of) };
    case 'record':
      return { type: 'object', additionalProperties: toJsonSchema(spec.of) };
    case 'object':
      return {
        type: 'object',
        properties: Object.fromEntries(Object.entries(spec.fields).map(([k, v]) => [k, toJsonSchema(v)])),
        ...(spec.required ? { required: [...spec.required] } : {}),
        additionalProperties: false,
      };
    case 'oneOf':
      return { description: spec.describe, oneOf: spec.of.map(toJsonSchema) };
  }
}

export function labJsonSchema(): JsonSchema {
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: 'https://github.com/mqx/mqx/schemas/lab.schema.json',
    title: 'mqx lab file (mqx up)',
    ...toJsonSchema(LAB_SPEC),
  };
}
