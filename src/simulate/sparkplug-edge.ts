/**
 * The Sparkplug B edge node `mqx pub --simulate sparkplug` plays (specification chapter 5): its
 * will is an NDEATH carrying bdSeq; NBIRTH (seq 0) then one DBIRTH per device announce every
 * metric with its name, alias and datatype; NDATA and DDATA then carry the course's temperature and
 * humidity readings by alias only, seq counting every message up to 255 and wrapping to 0. An NCMD
 * `Node Control/Rebirth` asks for the BIRTHs again. Pure: messages out, commands in; sparkplug.ts
 * plays it as a scenario.
 */
import { decodeSparkplug } from '../payload/sparkplug/decode.js';
import { encodeSparkplug } from '../payload/sparkplug/encode.js';
import { Sensor, type SensorKind } from './sensors.js';

export interface Outgoing {
  topic: string;
  payload: Buffer;
}

export interface EdgeNodeOptions {
  group: string;
  edge: string;
  devices: number;
  random: () => number;
  /** Birth/death sequence: one per connection, so a host can tell an old NDEATH from the current one. */
  bdSeq: number;
}

interface Reading {
  name: SensorKind;
  alias: number;
  sensor: Sensor;
}

const REBIRTH = 'Node Control/Rebirth';
const REBIRTH_ALIAS = 1;
const KINDS: SensorKind[] = ['temperature', 'humidity'];

export class EdgeNode {
  private seq = 0;
  private readonly node: Reading[];
  private readonly devices: Array<{ id: string; readings: Reading[] }>;
  readonly commandTopic: string;

  constructor(private readonly o: EdgeNodeOptions) {
    let alias = REBIRTH_ALIAS;
    const readings = () =>
      KINDS.map((name) => ({ name, alias: ++alias, sensor: new Sensor(name, o.random) }));
    this.node = readings();
    this.devices = Array.from({ length: o.devices }, (_, i) => ({
      id: `device-${i + 1}`,
      readings: readings(),
    }));
    this.commandTopic = this.topic('NCMD');
  }

  private topic(type: string, device?: string): string {
    return `spBv1.0/${this.o.group}/${type}/${this.o.edge}${device === undefined ? '' : `/${device}`}`;
  }

  private message(type: string, device: string | undefined, now: Date, metrics: unknown[]): Outgoing {
    const payload = encodeSparkplug({ timestamp: now.getTime(), seq: this.seq, metrics });
    this.seq = (this.seq + 1) % 256;
    return { topic: this.topic(type, device), payload: Buffer.from(payload) };
  }

  private bdSeqMetric(): object {
    return { name: 'bdSeq', datatype: 'Int64', value: this.o.bdSeq };
  }

  /** The NDEATH: set as the will when connecting, and sent before a clean disconnect. */
  death(now: Date): Outgoing {
    const payload = encodeSparkplug({ timestamp: now.getTime(), metrics: [this.bdSeqMetric()] });
    return { topic: this.topic('NDEATH'), payload: Buffer.from(payload) };
  }

  /** NBIRTH then every DBIRTH: the first messages of a connection, and the answer to a rebirth request. */
  birth(now: Date): Outgoing[] {
    this.seq = 0;
    const ts = now.getTime();
    const named = (readings: Reading[]) =>
      readings.map((r) => ({
        name: r.name,
        alias: r.alias,
        timestamp: ts,
        datatype: 'Double',
        value: r.sensor.next(),
      }));
    return [
      this.message('NBIRTH', undefined, now, [
        this.bdSeqMetric(),
        { name: REBIRTH, alias: REBIRTH_ALIAS, datatype: 'Boolean', value: false },
        ...named(this.node),
      ]),
      ...this.devices.map((d) => this.message('DBIRTH', d.id, now, named(d.readings))),
    ];
  }

  /** One round of readings: NDATA, then a DDATA per device, metrics by alias only. */
  data(now: Date): Outgoing[] {
    const ts = now.getTime();
    const byAlias = (readings: Reading[]) =>
      readings.map((r) => ({ alias: r.alias, timestamp: ts, datatype: 'Double', value: r.sensor.next() }));
    return [
      this.message('NDATA', undefined, now, byAlias(this.node)),
      ...this.devices.map((d) => this.message('DDATA', d.id, now, byAlias(d.readings))),
    ];
  }

  /** Whether an NCMD payload asks for a rebirth (by name, or by the alias our NBIRTH gave it). */
  wantsRebirth(payload: Uint8Array): boolean {
    let decoded: ReturnType<typeof decodeSparkplug>;
    try {
      decoded = decodeSparkplug(payload);
    } catch {
      return false;
    }
    const values = decoded.tree.metrics as Array<{ value?: unknown }>;
    return decoded.metrics.some(
      (m, i) => (m.name === REBIRTH || m.alias === BigInt(REBIRTH_ALIAS)) && values[i]?.value === true,
    );
  }
}
