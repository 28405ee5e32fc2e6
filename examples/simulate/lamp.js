/**
 * A scenario file in the object form: a lamp per device that obeys commands. Each has its own
 * connection, whose will marks it "lost"; it says "ready" when it starts and "disconnected" at a
 * clean end (--count reached, Ctrl-C), as the Homie convention does; it turns on and off at an
 * "on", "off" or "toggle" sent to its set topic, answers with its state (retained), and reports
 * its power every tick while it is on.
 *
 *   mqx pub --simulate examples/simulate/lamp.js --devices 2
 *   mqx pub -t home/lamp/2/set -m on
 *
 * Besides `next` (the function form's only part), every hook is optional: will, subscribe and
 * start run once before the first tick, onMessage for each message on one of the device's
 * filters, end once before disconnecting. Each gets the device's context, and all but will and
 * subscribe return messages as next does.
 */
const base = (ctx) => `home/lamp/${ctx.device}`;

const status = (ctx, value) => ({ topic: `${base(ctx)}/status`, payload: value, qos: 1, retain: true });

const state = (ctx) => ({
  topic: `${base(ctx)}/state`,
  payload: ctx.state.on ? 'on' : 'off',
  qos: 1,
  retain: true,
});

export default {
  will: (ctx) => status(ctx, 'lost'),
  subscribe: (ctx) => [`${base(ctx)}/set`],
  start(ctx) {
    ctx.state.on = false;
    return [status(ctx, 'ready'), state(ctx)];
  },
  onMessage(ctx, message) {
    const command = message.payload.toString().trim();
    if (command !== 'on' && command !== 'off' && command !== 'toggle') return undefined;
    ctx.state.on = command === 'toggle' ? !ctx.state.on : command === 'on';
    return state(ctx);
  },
  next(ctx) {
    if (!ctx.state.on) return undefined;
    const watts = Math.round((9 + ctx.random()) * 10) / 10;
    return { topic: `${base(ctx)}/power`, payload: { watts, ts: ctx.now.toISOString() } };
  },
  end: (ctx) => status(ctx, 'disconnected'),
};
