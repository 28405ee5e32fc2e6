import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseProtocolVersion, resolveConnection } from '../../commands/shared/connection-flags.js';
import { parseProperties } from '../../commands/shared/properties.js';
import { UsageError } from '../../src/errors.js';

const empty = mkdtempSync(path.join(tmpdir(), 'mqx-flags-'));
const resolve = (argv: Record<string, unknown>, env: Record<string, string> = {}) =>
  resolveConnection(argv, env, empty);

describe('resolveConnection', () => {
  it('defaults to mqtt://localhost:1883, MQTT 3.1.1, keep alive 60, clean session', async () => {
    const { options } = await resolve({});
    expect(options).toMatchObject({
      broker: { scheme: 'mqtt', host: 'localhost', port: 1883 },
      protocolVersion: 4,
      keepalive: 60,
      clean: true,
      connectTimeoutMs: 30_000,
    });
    expect(options.reconnect).toBeUndefined();
  });

  it('takes flags over MQX_* variables', async () => {
    const env = { MQX_HOST: 'envhost', MQX_PORT: '1999', MQX_USERNAME: 'envuser', MQX_PASSWORD: 'envpass' };
    expect((await resolve({}, env)).options).toMatchObject({
      broker: { host: 'envhost', port: 1999 },
      username: 'envuser',
      password: 'envpass',
    });
    expect(
      (await resolve({ host: 'flaghost', password: 'flagpass', username: 'u' }, env)).options,
    ).toMatchObject({
      broker: { host: 'flaghost', port: 1999 },
      password: 'flagpass',
    });
  });

  it('reads -L URLs: credentials, TLS by scheme, topic', async () => {
    const r = await resolve({ url: 'mqtts://me:secret@b.example/srv/temperature' });
    expect(r.options.broker).toMatchObject({ scheme: 'mqtts', host: 'b.example', port: 8883 });
    expect(r.options).toMatchObject({ username: 'me', password: 'secret' });
    expect(r.urlTopic).toBe('srv/temperature');
  });

  it('turns TLS on with --cafile, as mosquitto does', async () => {
    const { options } = await resolve({ cafile: '/etc/ssl/ca.pem', 'tls-version': 'tlsv1.2' });
    expect(options.broker).toMatchObject({
      scheme: 'mqtts',
      port: 8883,
      tls: { cafile: '/etc/ssl/ca.pem', tlsVersion: 'tlsv1.2' },
    });
  });

  it('-c keeps the session; with MQTT 5 the session never expires unless -x says otherwise', async () => {
    expect((await resolve({ 'no-clean': true, id: 'x' })).options.clean).toBe(false);
    expect((await resolve({ 'no-clean': true, 'protocol-version': '5' })).options.sessionExpiry).toBe(
      0xffffffff,
    );
    expect(
      (await resolve({ 'no-clean': true, 'protocol-version': 'mqttv5', 'session-expiry': '60' })).options
        .sessionExpiry,
    ).toBe(60);
    expect((await resolve({ 'protocol-version': '5', 'session-expiry': '-1' })).options.sessionExpiry).toBe(
      0xffffffff,
    );
    await expect(resolve({ 'no-clean': true })).rejects.toThrow(/client id/);
  });

  it('builds the will and -I client ids', async () => {
    const { options } = await resolve({
      'will-topic': 'dead',
      'will-payload': 'bye',
      'will-qos': 1,
      'will-retain': true,
      'id-prefix': 'sensor-',
    });
    expect(options.will).toEqual({ topic: 'dead', payload: Buffer.from('bye'), qos: 1, retain: true });
    expect(options.clientId).toBe(`sensor-${process.pid}`);
  });

  it('reads --password-file', async () => {
    const file = path.join(empty, 'pw');
    writeFileSync(file, 's3cret\nignored\n');
    expect((await resolve({ username: 'u', 'password-file': file })).options.password).toBe('s3cret');
    await expect(resolve({ username: 'u', 'password-file': '/nonexistent' })).rejects.toBeInstanceOf(
      UsageError,
    );
  });

  it('puts -D connect properties on CONNECT and returns the others', async () => {
    const r = await resolve({
      'protocol-version': '5',
      property: [
        'connect',
        'session-expiry-interval',
        '60',
        'publish',
        'user-property',
        'a',
        'b',
        'srv/extra',
      ],
    });
    expect(r.options.properties).toEqual({ sessionExpiryInterval: 60 });
    expect(r.properties.publish).toEqual({ userProperties: [['a', 'b']] });
    expect(r.extraPositionals).toEqual(['srv/extra']);
    await expect(resolve({ property: ['publish', 'content-type', 'x'] })).rejects.toThrow(/MQTT 5/);
  });

  it('rejects bad values with UsageError', async () => {
    await expect(resolve({ port: 70000 })).rejects.toBeInstanceOf(UsageError);
    await expect(resolve({ keepalive: -1 })).rejects.toBeInstanceOf(UsageError);
    await expect(resolve({ 'will-topic': 't', 'will-qos': 3 })).rejects.toBeInstanceOf(UsageError);
    await expect(resolve({ 'will-payload': 'x' })).rejects.toBeInstanceOf(UsageError);
    await expect(resolve({ password: 'p' })).rejects.toThrow(/username/);
    await expect(resolve({ url: 'http://x' })).rejects.toBeInstanceOf(UsageError);
  });

  it('turns --reconnect into bounded backoff', async () => {
    const { options } = await resolve({ reconnect: true, 'reconnect-max-delay': 5 });
    expect(options.reconnect).toEqual({ minDelayMs: 250, maxDelayMs: 5000 });
  });
});

describe('parseProtocolVersion', () => {
  it('accepts mosquitto spellings', () => {
    expect(['31', 'mqttv31', '311', 'mqttv311', '5', 'mqttv5'].map(parseProtocolVersion)).toEqual([
      3, 3, 4, 4, 5, 5,
    ]);
    expect(() => parseProtocolVersion('6')).toThrow(UsageError);
  });
});

describe('parseProperties', () => {
  it('parses mosquitto -D syntax into properties per packet', () => {
    const { properties, rest } = parseProperties([
      'publish',
      'user-property',
      'k1',
      'v1',
      'publish',
      'user-property',
      'k2',
      'v2',
      'publish',
      'message-expiry-interval',
      '30',
      'publish',
      'correlation-data',
      'abc',
      'subscribe',
      'subscription-identifier',
      '5',
      'will',
      'will-delay-interval',
      '10',
    ]);
    expect(properties.publish).toEqual({
      userProperties: [
        ['k1', 'v1'],
        ['k2', 'v2'],
      ],
      messageExpiryInterval: 30,
      correlationData: Buffer.from('abc'),
    });
    expect(properties.subscribe).toEqual({ subscriptionIdentifiers: [5] });
    expect(properties.will).toEqual({ willDelayInterval: 10 });
    expect(rest).toEqual([]);
  });

  it('rejects unknown commands, unknown or misplaced properties, bad numbers and missing values', () => {
    expect(() => parseProperties(['nope', 'x', 'y'])).toThrow(UsageError);
    expect(() => parseProperties(['publish', 'nope', 'y'])).toThrow(UsageError);
    expect(() => parseProperties(['connect', 'topic-alias', '1'])).toThrow(/not allowed/);
    expect(() => parseProperties(['publish', 'topic-alias', '70000'])).toThrow(UsageError);
    expect(() => parseProperties(['publish', 'user-property', 'k'])).toThrow(/missing value/);
  });
});

describe('profiles', () => {
  it('uses profiles.default from mqx.config.yaml, below env and flags', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'mqx-profile-'));
    writeFileSync(
      path.join(dir, 'mqx.config.yaml'),
      'profiles:\n  default:\n    host: profhost\n    port: 1885\n    username: profuser\n  lab:\n    host: labhost\n    protocol-version: "5"\n',
    );
    const def = await resolveConnection({}, {}, dir);
    expect(def.options).toMatchObject({ broker: { host: 'profhost', port: 1885 }, username: 'profuser' });
    const env = await resolveConnection({}, { MQX_HOST: 'envhost' }, dir);
    expect(env.options.broker.host).toBe('envhost');
    const lab = await resolveConnection({ profile: 'lab' }, {}, dir);
    expect(lab.options).toMatchObject({ broker: { host: 'labhost' }, protocolVersion: 5 });
    await expect(resolveConnection({ profile: 'nope' }, {}, dir)).rejects.toThrow(/no profile "nope"/);
  });
});
