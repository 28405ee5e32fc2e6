import { Writable } from 'node:stream';
import { Chalk } from 'chalk';
import { describe, expect, it } from 'vitest';
import { wantsColour } from '../../src/output/colours.js';
import { createLogger } from '../../src/output/logger.js';
import type { ReceivedMessage } from '../../src/output/message.js';
import { startSpinner } from '../../src/output/spinner.js';
import { textLine } from '../../src/output/text.js';

const tty = { isTTY: true } as NodeJS.WriteStream;
const pipe = { isTTY: false } as NodeJS.WriteStream;

describe('colour', () => {
  it('only on a TTY, never with NO_COLOR, always with FORCE_COLOR', () => {
    expect(wantsColour(tty, {})).toBe(true);
    expect(wantsColour(pipe, {})).toBe(false);
    expect(wantsColour(tty, { NO_COLOR: '1' })).toBe(false);
    expect(wantsColour(pipe, { FORCE_COLOR: '1' })).toBe(true);
  });

  it('-v on a terminal colours the topic and marks QoS and retained', () => {
    const chalk = new Chalk({ level: 1 });
    const msg: ReceivedMessage = {
      topic: 'a/b',
      payload: Buffer.from('x'),
      qos: 1,
      retain: true,
      packetId: 1,
      receivedNs: 0n,
    };
    const line = textLine(msg, true, chalk).toString();
    expect(line).toBe(`${chalk.cyan('a/b')}${chalk.dim(' q1')}${chalk.yellow(' retained')} x`);
    expect(textLine(msg, true).toString()).toBe('a/b x');
  });
});

describe('logger and spinner', () => {
  it('writes warnings as one "mqx:" line and drops info when quiet', () => {
    let out = '';
    const stream = new Writable({
      write(chunk, _enc, cb) {
        out += chunk;
        cb();
      },
    });
    createLogger({ stream }).warn('careful');
    createLogger({ stream, quiet: true }).info('hidden');
    createLogger({ stream }).info('shown');
    expect(out).toBe('mqx: careful\nshown\n');
  });

  it('shows no spinner off a TTY', async () => {
    let written = '';
    const stream = Object.assign(
      new Writable({
        write(chunk, _e, cb) {
          written += chunk;
          cb();
        },
      }),
      { isTTY: false },
    ) as unknown as NodeJS.WriteStream;
    const spinner = await startSpinner('waiting', stream);
    spinner.stop();
    expect(written).toBe('');
  });
});
