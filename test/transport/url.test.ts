import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { parseBrokerUrl } from '../../src/transport/url.js';

describe('parseBrokerUrl', () => {
  it('takes user, password, host, port and topic as mosquitto -L does', () => {
    expect(parseBrokerUrl('mqtt://user:pa%40ss@broker.example:1884/srv/temperature')).toEqual({
      scheme: 'mqtt',
      host: 'broker.example',
      port: 1884,
      username: 'user',
      password: 'pa@ss',
      topic: 'srv/temperature',
    });
  });

  it('defaults the port by scheme', () => {
    expect(parseBrokerUrl('mqtt://h').port).toBe(1883);
    expect(parseBrokerUrl('mqtts://h').port).toBe(8883);
    expect(parseBrokerUrl('ws://h').port).toBe(80);
    expect(parseBrokerUrl('wss://h').port).toBe(443);
  });

  it('keeps wildcards in the topic, including # that URL syntax reads as a fragment', () => {
    expect(parseBrokerUrl('mqtt://h/srv/#').topic).toBe('srv/#');
    expect(parseBrokerUrl('mqtt://h/+/x').topic).toBe('+/x');
    expect(parseBrokerUrl('mqtt://h/').topic).toBeUndefined();
  });

  it('reads the path of a WebSocket URL as the endpoint, /mqtt by default', () => {
    expect(parseBrokerUrl('ws://h:9001').wsPath).toBe('/mqtt');
    expect(parseBrokerUrl('wss://h/ws').wsPath).toBe('/ws');
  });

  it('unwraps IPv6 literals', () => {
    expect(parseBrokerUrl('mqtt://[::1]:1883').host).toBe('::1');
  });

  it('rejects other schemes and garbage with a UsageError', () => {
    expect(() => parseBrokerUrl('http://h')).toThrow(UsageError);
    expect(() => parseBrokerUrl('not a url')).toThrow(UsageError);
  });
});
