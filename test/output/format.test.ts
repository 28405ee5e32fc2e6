import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { compileFormat } from '../../src/output/format.js';
import type { ReceivedMessage } from '../../src/output/message.js';

process.env.TZ = 'UTC';

// 2016-08-10T09:47:38.786368637Z
const NS = 1470822458786368637n;

function msg(over: Partial<ReceivedMessage> = {}): ReceivedMessage {
  return {
    topic: 'srv/temperature',
    payload: Buffer.from('temperature: 23'),
    qos: 1,
    retain: true,
    packetId: 42,
    receivedNs: NS,
    ...over,
  };
}

const warnings: string[] = [];
const ctx = { pretty: false, warn: (l: string) => warnings.push(l) };
const fmt = (f: string, m: ReceivedMessage = msg()) => compileFormat(f)(m, ctx).toString('utf8');

const props = {
  topicAlias: 3,
  contentType: 'text/plain',
  correlationData: Buffer.from('corr'),
  messageExpiryInterval: 100,
  payloadFormatIndicator: 1,
  userProperties: [
    ['k', 'v'],
    ['k', 'w'],
  ] as Array<[string, string]>,
  responseTopic: 'reply/to',
  subscriptionIdentifiers: [7],
};

describe('-F message parameters', () => {
  it.each([
    ['%%', '%'],
    ['%t', 'srv/temperature'],
    ['%p', 'temperature: 23'],
    ['%l', '15'],
    ['%m', '42'],
    ['%q', '1'],
    ['%r', '1'],
    ['%x', Buffer.from('temperature: 23').toString('hex')],
    ['%X', Buffer.from('temperature: 23').toString('hex').toUpperCase()],
    ['%I', '2016-08-10T09:47:38+0000'],
    ['%U', '1470822458.786368637'],
  ])('%s', (f, expected) => {
    expect(fmt(f)).toBe(expected);
  });

  it('prints MQTT 5 properties, and nothing when absent', () => {
    const m = msg({ properties: props });
    expect(fmt('%A|%C|%D|%E|%F|%P|%R|%S', m)).toBe('3|text/plain|corr|100|1|k:v k:w|reply/to|7');
    expect(fmt('%A|%C|%D|%E|%F|%P|%R|%S')).toBe('|||||||');
  });

  it('%p is the raw bytes, binary included', () => {
    const payload = Buffer.from([0, 0xff, 0x80, 10]);
    expect(compileFormat('%p')(msg({ payload }), ctx)).toEqual(payload);
  });

  it('%j quotes the payload, %J embeds JSON, both as mosquitto_sub prints them', () => {
    const m = msg({ payload: Buffer.from('{"a":1}'), retain: false, qos: 0 });
    expect(fmt('%j', m)).toBe(
      '{"tst":"2016-08-10T09:47:38.786368Z+0000","topic":"srv/temperature","qos":0,"retain":0,"payloadlen":7,"payload":"{\\"a\\":1}"}',
    );
    expect(fmt('%J', m)).toBe(
      '{"tst":"2016-08-10T09:47:38.786368Z+0000","topic":"srv/temperature","qos":0,"retain":0,"payloadlen":7,"payload":{"a":1}}',
    );
    expect(JSON.parse(fmt('%j', msg({ properties: props }))).properties).toMatchObject({
      'user-properties': { k: 'w' },
      'content-type': 'text/plain',
      'message-expiry-interval': 100,
    });
  });

  it('%J with a payload that is not JSON prints nothing and warns like mosquitto_sub', () => {
    warnings.length = 0;
    expect(fmt('[%J]')).toBe('[]');
    expect(warnings).toEqual(['Error: Message payload is not valid JSON on topic srv/temperature.']);
  });

  it('--pretty indents %j with tabs as mosquitto (cJSON) does', () => {
    const out = compileFormat('%j')(msg({ payload: Buffer.from('x') }), { ...ctx, pretty: true }).toString();
    expect(out).toBe(
      '{\n\t"tst":\t"2016-08-10T09:47:38.786368Z+0000",\n\t"topic":\t"srv/temperature",\n\t"qos":\t1,\n\t"retain":\t1,\n\t"payloadlen":\t1,\n\t"payload":\t"x"\n}',
    );
  });
});

describe('-F width, precision and flags', () => {
  it('pads to a minimum width, right aligned by default', () => {
    expect(fmt('[%20t]')).toBe('[     srv/temperature]');
    expect(fmt('[%-20t]')).toBe('[srv/temperature     ]');
  });

  it('zero-pads numbers and hex, but never strings, and not when left aligned', () => {
    expect(fmt('%05l')).toBe('00015');
    expect(fmt('%05m')).toBe('00042');
    expect(fmt('%-05l|')).toBe('15   |');
    expect(fmt('%020t')).toBe('     srv/temperature');
    expect(fmt('%04x', msg({ payload: Buffer.from([1]) }))).toBe('0001');
  });

  it('truncates to a maximum width where the manual allows it (%t %C %R %I)', () => {
    expect(fmt('%.3t')).toBe('srv');
    expect(fmt('%5.3t')).toBe('  srv');
    expect(fmt('%.10I')).toBe('2016-08-10');
    expect(fmt('%.2l')).toBe('15'); // no maximum width for numbers
  });

  it('ignores width for %q and %r', () => {
    expect(fmt('%5q%5r')).toBe('11');
  });
});

describe('-F time and escapes', () => {
  it('passes @X to strftime, @@ is @, @N is nanoseconds', () => {
    expect(fmt('@Y-@m-@d @H:@M:@S @@ @N')).toBe('2016-08-10 09:47:38 @ 786368637');
    expect(fmt('@s @j @a @b @z')).toBe('1470822458 223 Wed Aug +0000');
  });

  it('understands \\\\ \\0 \\a \\e \\n \\r \\t \\v', () => {
    expect(fmt('\\\\|\\0|\\a|\\e|\\n|\\r|\\t|\\v')).toBe('\\|\0|\x07|\x1b|\n|\r|\t|\x0b');
  });

  it('rejects unknown specifiers and escapes as usage errors, as mosquitto_sub does', () => {
    expect(() => compileFormat('%Z')).toThrow(UsageError);
    expect(() => compileFormat('abc%')).toThrow(UsageError);
    expect(() => compileFormat('\\z')).toThrow(UsageError);
    expect(() => compileFormat('\\')).toThrow(UsageError);
  });

  it('leaves other text alone', () => {
    expect(fmt('topic=%t qos=%q')).toBe('topic=srv/temperature qos=1');
  });
});
