import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { splitTopicLine } from '../../src/scripting/topic-line.js';
import { lines, startSub, text } from '../e2e/pubsub-helpers.js';
import { type RunningBroker, runMqx, startMqxBroker } from '../helpers/processes.js';

describe('a "TOPIC PAYLOAD" line', () => {
  it('splits at the first space; the payload keeps the rest, bytes as they are', () => {
    const { topic, payload } = splitTopicLine(Buffer.from('a/b temperature: 23 °C'), 1);
    expect(topic).toBe('a/b');
    expect(payload.toString()).toBe('temperature: 23 °C');
    expect(splitTopicLine(Buffer.from('just/topic'), 1).payload).toHaveLength(0);
  });

  it('names the line of a bad topic', () => {
    expect(() => splitTopicLine(Buffer.from('a/# x'), 7)).toThrow(/stdin line 7: .*wildcard/);
    expect(() => splitTopicLine(Buffer.from(' x'), 2)).toThrow(/stdin line 2: the topic is empty/);
  });
});

describe('mqx pub -l --topic-from-line', () => {
  let broker: RunningBroker;
  let p: string[];
  beforeAll(async () => {
    broker = await startMqxBroker();
    p = ['-h', '127.0.0.1', '-p', String(broker.port)];
  });
  afterAll(() => broker?.stop());

  it('publishes each line to its own topic, in order; blank lines skipped', async () => {
    const sub = await startSub([...p, '-t', 'tl/#', '-v', '-C', '3', '-q', '1']);
    const pub = await runMqx(['pub', ...p, '-l', '--topic-from-line', '-q', '1'], {
      input: 'tl/a on\n\ntl/b off and more\ntl/a\n',
    });
    expect(text(pub.stderr)).toBe('');
    expect(pub.exitCode).toBe(0);
    expect(await sub.done()).toBe(0);
    expect(lines(sub.stdout())).toEqual(['tl/a on', 'tl/b off and more', 'tl/a (null)']);
  });

  it.each([
    ['without -l', ['--topic-from-line', '-m', 'x'], /needs -l/],
    ['with -t', ['-l', '--topic-from-line', '-t', 'a'], /drop -t/],
  ])('is a usage error %s', async (_name, args, message) => {
    const r = await runMqx(['pub', ...p, ...args], { input: 'a b\n' });
    expect(r.exitCode).toBe(2);
    expect(text(r.stderr)).toMatch(message);
  });

  it('a line with a wildcard topic stops with exit 2 and its line number', async () => {
    const r = await runMqx(['pub', ...p, '-l', '--topic-from-line'], { input: 'ok/1 a\nbad/# b\n' });
    expect(r.exitCode).toBe(2);
    expect(text(r.stderr)).toMatch(/stdin line 2/);
  });
});
