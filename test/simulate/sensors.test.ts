import { describe, expect, it } from 'vitest';
import { Sensor, seededRandom, sensorForTopic, sensorPayload } from '../../src/simulate/sensors.js';

describe('simulated sensors', () => {
  it('are reproducible with a seed', () => {
    const run = (seed: number) => {
      const s = new Sensor('temperature', seededRandom(seed));
      return Array.from({ length: 20 }, () => s.next());
    };
    expect(run(7)).toEqual(run(7));
    expect(run(7)).not.toEqual(run(8));
  });

  it('walk within realistic bounds around the mean, one decimal', () => {
    const t = new Sensor('temperature', seededRandom(1));
    const h = new Sensor('humidity', seededRandom(2));
    const temps = Array.from({ length: 5000 }, () => t.next());
    const hums = Array.from({ length: 5000 }, () => h.next());
    expect(Math.min(...temps)).toBeGreaterThanOrEqual(15);
    expect(Math.max(...temps)).toBeLessThanOrEqual(30);
    expect(Math.min(...hums)).toBeGreaterThanOrEqual(20);
    expect(Math.max(...hums)).toBeLessThanOrEqual(80);
    const mean = temps.reduce((a, b) => a + b, 0) / temps.length;
    expect(Math.abs(mean - 21.5)).toBeLessThan(1.5);
    expect(temps.every((v) => Number(v.toFixed(1)) === v)).toBe(true);
    // A walk, not noise: consecutive readings stay close.
    const steps = temps.slice(1).map((v, i) => Math.abs(v - temps[i]!));
    expect(Math.max(...steps)).toBeLessThan(2.5);
  });

  it('auto picks humidity by topic name, temperature otherwise', () => {
    expect(sensorForTopic('srv/humidity')).toBe('humidity');
    expect(sensorForTopic('srv/temperature')).toBe('temperature');
    expect(sensorForTopic('room/1')).toBe('temperature');
  });

  it('formats payloads as the course prints them, or JSON', () => {
    const now = new Date('2026-01-01T00:00:00Z');
    expect(sensorPayload('temperature', 23.4, '°C', 'text', now)).toBe('temperature: 23.4');
    expect(JSON.parse(sensorPayload('humidity', 45, '%RH', 'json', now))).toEqual({
      sensor: 'humidity',
      value: 45,
      unit: '%RH',
      ts: '2026-01-01T00:00:00.000Z',
    });
  });
});
