/**
 * A scenario file for `mqx pub --simulate`: a pump per device that runs or rests, reports its flow
 * while running and its state (retained) when it changes.
 *
 *   mqx pub --simulate examples/simulate/pump.js --devices 3 --interval 0.5 --seed 1
 *
 * The function gets a context (device, devices, tick, topic, random, now, format, state, options)
 * and returns the device's next messages: { topic, payload, qos, retain }, all but payload
 * optional (payload: a string or bytes as they are, anything else as JSON). `random` is seeded by
 * --seed; `state` is this device's own and lasts from tick to tick. A device that also listens or
 * has a will is an object instead: see lamp.js.
 */
export default function next(ctx) {
  const base = `plant/pump/${ctx.device}`;
  const state = ctx.state;
  const messages = [];
  // A pump changes state about once every ten ticks.
  const running = state.running === undefined ? ctx.random() < 0.5 : state.running !== ctx.random() < 0.1;
  if (running !== state.running) {
    state.running = running;
    messages.push({ topic: `${base}/state`, payload: running ? 'running' : 'stopped', qos: 1, retain: true });
  }
  if (running) {
    const flow = Math.round((12 + (ctx.random() - 0.5) * 2) * 10) / 10;
    messages.push({ topic: `${base}/flow`, payload: { flow, unit: 'm3/h', ts: ctx.now.toISOString() } });
  }
  return messages;
}
