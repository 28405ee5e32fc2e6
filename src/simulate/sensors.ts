/**
 * Sensor values for `mqx pub --simulate`: a bounded random walk around a realistic mean, so a
 * dashboard fed by it looks like a room, not like noise. Seeded (mulberry32) for reproducible runs.
 */
export type SensorKind = 'temperature' | 'humidity';

interface Model {
  mean: number;
  min: number;
  max: number;
  /** Standard deviation of one step. */
  step: number;
  unit: string;
}

const MODELS: Record<SensorKind, Model> = {
  temperature: { mean: 21.5, min: 15, max: 30, step: 0.3, unit: '°C' },
  humidity: { mean: 45, min: 20, max: 80, step: 1, unit: '%RH' },
};

/** mulberry32: tiny, fast, good enough for simulated sensors; not for anything secret. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** 'auto' picks by topic name: humidity when it says so, temperature otherwise. */
export function sensorForTopic(topic: string): SensorKind {
  return /hum/i.test(topic) ? 'humidity' : 'temperature';
}

export class Sensor {
  private value: number;
  readonly unit: string;
  private readonly model: Model;

  constructor(
    readonly kind: SensorKind,
    private readonly random: () => number,
  ) {
    this.model = MODELS[kind];
    this.unit = this.model.unit;
    this.value = this.model.mean + (random() - 0.5) * this.model.step * 4;
  }

  /** The next reading, one decimal: a Gaussian step pulled 10% back toward the mean, kept in bounds. */
  next(): number {
    const { mean, min, max, step } = this.model;
    // Box-Muller; 1 - random() keeps log away from 0.
    const gauss = Math.sqrt(-2 * Math.log(1 - this.random())) * Math.cos(2 * Math.PI * this.random());
    this.value += (mean - this.value) * 0.1 + gauss * step;
    this.value = Math.min(max, Math.max(min, this.value));
    return Math.round(this.value * 10) / 10;
  }
}

/** The course's payload (`temperature: 23.4`) or JSON {"sensor","value","unit","ts"}. */
export function sensorPayload(
  kind: SensorKind,
  value: number,
  unit: string,
  format: 'text' | 'json',
  now: Date,
): string {
  if (format === 'json') return JSON.stringify({ sensor: kind, value, unit, ts: now.toISOString() });
  return `${kind}: ${value}`;
}
