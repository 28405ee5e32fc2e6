/**
 * The Sparkplug B payload schema (Sparkplug 3.0 specification, chapter 6 "Payloads"), as a
 * protobufjs JSON descriptor: package org.eclipse.tahu.protobuf, proto2, every field optional or
 * repeated. Written from the specification's message definitions; the field numbers are the wire
 * format. Extension ranges are left out: no field of theirs is ever decoded, and protobufjs skips
 * unknown fields.
 */
import type { INamespace } from 'protobufjs';

type Fields = Record<string, { type: string; id: number; rule?: 'repeated'; options?: { packed: boolean } }>;

/** The value oneof shared (with different field numbers) by parameters, dataset cells and properties. */
function scalarValue(first: number, extension: string): Fields {
  return {
    intValue: { type: 'uint32', id: first },
    longValue: { type: 'uint64', id: first + 1 },
    floatValue: { type: 'float', id: first + 2 },
    doubleValue: { type: 'double', id: first + 3 },
    booleanValue: { type: 'bool', id: first + 4 },
    stringValue: { type: 'string', id: first + 5 },
    extensionValue: { type: extension, id: first + 6 },
  };
}

const oneof = (fields: Fields) => ({ value: { oneof: Object.keys(fields) } });

const parameterValue = scalarValue(3, 'ParameterValueExtension');
const dataSetValue = scalarValue(1, 'DataSetValueExtension');
const propertyValue = {
  intValue: { type: 'uint32', id: 3 },
  longValue: { type: 'uint64', id: 4 },
  floatValue: { type: 'float', id: 5 },
  doubleValue: { type: 'double', id: 6 },
  booleanValue: { type: 'bool', id: 7 },
  stringValue: { type: 'string', id: 8 },
  propertysetValue: { type: 'PropertySet', id: 9 },
  propertysetsValue: { type: 'PropertySetList', id: 10 },
  extensionValue: { type: 'PropertyValueExtension', id: 11 },
} satisfies Fields;
const metricValue = {
  intValue: { type: 'uint32', id: 10 },
  longValue: { type: 'uint64', id: 11 },
  floatValue: { type: 'float', id: 12 },
  doubleValue: { type: 'double', id: 13 },
  booleanValue: { type: 'bool', id: 14 },
  stringValue: { type: 'string', id: 15 },
  bytesValue: { type: 'bytes', id: 16 },
  datasetValue: { type: 'DataSet', id: 17 },
  templateValue: { type: 'Template', id: 18 },
  extensionValue: { type: 'MetricValueExtension', id: 19 },
} satisfies Fields;

const empty = { fields: {} };

export const SPARKPLUG_SCHEMA: INamespace = {
  nested: {
    org: {
      nested: {
        eclipse: {
          nested: {
            tahu: {
              nested: {
                protobuf: {
                  nested: {
                    Payload: {
                      // protobufjs reads a JSON descriptor as proto3 unless told: presence must be explicit.
                      edition: 'proto2',
                      fields: {
                        timestamp: { type: 'uint64', id: 1 },
                        metrics: { rule: 'repeated', type: 'Metric', id: 2 },
                        seq: { type: 'uint64', id: 3 },
                        uuid: { type: 'string', id: 4 },
                        body: { type: 'bytes', id: 5 },
                      },
                      nested: {
                        Template: {
                          fields: {
                            version: { type: 'string', id: 1 },
                            metrics: { rule: 'repeated', type: 'Metric', id: 2 },
                            parameters: { rule: 'repeated', type: 'Parameter', id: 3 },
                            templateRef: { type: 'string', id: 4 },
                            isDefinition: { type: 'bool', id: 5 },
                          },
                          nested: {
                            Parameter: {
                              oneofs: oneof(parameterValue),
                              fields: {
                                name: { type: 'string', id: 1 },
                                type: { type: 'uint32', id: 2 },
                                ...parameterValue,
                              },
                              nested: { ParameterValueExtension: empty },
                            },
                          },
                        },
                        DataSet: {
                          fields: {
                            numOfColumns: { type: 'uint64', id: 1 },
                            columns: { rule: 'repeated', type: 'string', id: 2 },
                            types: { rule: 'repeated', type: 'uint32', id: 3, options: { packed: false } },
                            rows: { rule: 'repeated', type: 'Row', id: 4 },
                          },
                          nested: {
                            DataSetValue: {
                              oneofs: oneof(dataSetValue),
                              fields: dataSetValue,
                              nested: { DataSetValueExtension: empty },
                            },
                            Row: { fields: { elements: { rule: 'repeated', type: 'DataSetValue', id: 1 } } },
                          },
                        },
                        PropertyValue: {
                          oneofs: oneof(propertyValue),
                          fields: {
                            type: { type: 'uint32', id: 1 },
                            isNull: { type: 'bool', id: 2 },
                            ...propertyValue,
                          },
                          nested: { PropertyValueExtension: empty },
                        },
                        PropertySet: {
                          fields: {
                            keys: { rule: 'repeated', type: 'string', id: 1 },
                            values: { rule: 'repeated', type: 'PropertyValue', id: 2 },
                          },
                        },
                        PropertySetList: {
                          fields: { propertyset: { rule: 'repeated', type: 'PropertySet', id: 1 } },
                        },
                        MetaData: {
                          fields: {
                            isMultiPart: { type: 'bool', id: 1 },
                            contentType: { type: 'string', id: 2 },
                            size: { type: 'uint64', id: 3 },
                            seq: { type: 'uint64', id: 4 },
                            fileName: { type: 'string', id: 5 },
                            fileType: { type: 'string', id: 6 },
                            md5: { type: 'string', id: 7 },
                            description: { type: 'string', id: 8 },
                          },
                        },
                        Metric: {
                          oneofs: oneof(metricValue),
                          fields: {
                            name: { type: 'string', id: 1 },
                            alias: { type: 'uint64', id: 2 },
                            timestamp: { type: 'uint64', id: 3 },
                            datatype: { type: 'uint32', id: 4 },
                            isHistorical: { type: 'bool', id: 5 },
                            isTransient: { type: 'bool', id: 6 },
                            isNull: { type: 'bool', id: 7 },
                            metadata: { type: 'MetaData', id: 8 },
                            properties: { type: 'PropertySet', id: 9 },
                            ...metricValue,
                          },
                          nested: { MetricValueExtension: empty },
                        },
                      },
                    },
                  },
                },
              },
            },
          },
        },
      },
    },
  },
};
