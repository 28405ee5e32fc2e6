/**
 * The built-in `--simulate` scenarios, written as a scenario file would be (scenario.ts). The
 * sensors: each device keeps its Sensor in its state and reports one reading per tick on its
 * topic. Each is loaded only when named: the Sparkplug edge node brings protobufjs (its own bundle).
 */
import type { ScenarioModule, ScenarioObject } from './scenario.js';
import { Sensor, type SensorKind, sensorForTopic, sensorPayload } from './sensors.js';

function sensorScenario(pick: (topic: string) => SensorKind): ScenarioObject {
  return {
    check: (options) =>
      options.topics.length === 0 ? 'no topic: give one as an argument or with -t' : undefined,
    next: (ctx) => {
      const topic = ctx.topic ?? '';
      ctx.state.sensor ??= new Sensor(pick(topic), ctx.random);
      const sensor = ctx.state.sensor as Sensor;
      return { payload: sensorPayload(sensor.kind, sensor.next(), sensor.unit, ctx.format, ctx.now) };
    },
  };
}

export const BUILT_IN: Record<string, () => ScenarioModule | Promise<ScenarioModule>> = {
  temperature: () => sensorScenario(() => 'temperature'),
  humidity: () => sensorScenario(() => 'humidity'),
  /** By topic name: humidity when it says so, temperature otherwise. */
  auto: () => sensorScenario(sensorForTopic),
  sparkplug: async () => (await import('./sparkplug.js')).default,
};
