/**
 * The built-in `--simulate` scenarios, written as a scenario file would be (scenario.ts): each
 * device keeps its Sensor in its state and reports one reading per tick on its topic.
 */
import type { Scenario } from './scenario.js';
import { Sensor, type SensorKind, sensorForTopic, sensorPayload } from './sensors.js';

function sensorScenario(pick: (topic: string) => SensorKind): Scenario {
  return (ctx) => {
    const topic = ctx.topic ?? '';
    ctx.state.sensor ??= new Sensor(pick(topic), ctx.random);
    const sensor = ctx.state.sensor as Sensor;
    return { payload: sensorPayload(sensor.kind, sensor.next(), sensor.unit, ctx.format, ctx.now) };
  };
}

export const BUILT_IN: Record<string, Scenario> = {
  temperature: sensorScenario(() => 'temperature'),
  humidity: sensorScenario(() => 'humidity'),
  /** By topic name: humidity when it says so, temperature otherwise. */
  auto: sensorScenario(sensorForTopic),
};
