import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { labJsonSchema } from '../../src/lab/json-schema.js';
import { ROOT } from '../helpers/processes.js';

const FILE = path.join(ROOT, 'schemas/lab.schema.json');

describe('the lab JSON Schema', () => {
  it('schemas/lab.schema.json is the one derived from the loader (UPDATE_SCHEMA=1 rewrites it)', () => {
    const generated = `${JSON.stringify(labJsonSchema(), null, 2)}\n`;
    if (process.env.UPDATE_SCHEMA === '1') writeFileSync(FILE, generated);
    expect(readFileSync(FILE, 'utf8')).toBe(generated);
  });

  it('describes what the loader refuses: unknown keys, ports out of range, a lab without brokers', () => {
    const schema = labJsonSchema() as {
      required: string[];
      additionalProperties: boolean;
      properties: { brokers: { additionalProperties: { properties: { port: { oneOf: unknown[] } } } } };
    };
    expect(schema.required).toEqual(['brokers']);
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.brokers.additionalProperties.properties.port.oneOf).toEqual([
      { type: 'integer', minimum: 1, maximum: 65535 },
      { enum: ['auto'] },
    ]);
  });
});
