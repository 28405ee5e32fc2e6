/**
 * The course's labs (Unit 6.5 "MQTT Advanced"), as lab files: the bridge scenario and the
 * challenge, with the course's ports, topics, QoS and bridge names, so that `--port-base` is all a
 * test or a second student on the same machine needs.
 */
export interface Example {
  describe: string;
  lab: Record<string, unknown>;
}

export const EXAMPLES: Record<string, Example> = {
  'course-bridge': {
    describe: 'Central broker on 1884, bridge broker on 1883 forwarding srv/#, the sensor publisher',
    lab: {
      brokers: { central: { port: 1884 }, bridge: { port: 1883 } },
      bridges: [{ name: 'bridge', from: 'bridge', to: 'central', topic: 'srv/# out' }],
      publishers: [
        { broker: 'bridge', topic: 'srv/temperature', simulate: 'temperature', interval: 1, qos: 2 },
        { broker: 'bridge', topic: 'srv/humidity', simulate: 'humidity', interval: 1, qos: 2 },
      ],
      subscribers: [
        {
          name: 'sub-temp',
          broker: 'central',
          filter: 'srv/temperature',
          qos: 2,
          expect: { topics: ['srv/temperature'], min: 1 },
        },
        {
          name: 'sub-humid',
          broker: 'central',
          filter: 'srv/humidity',
          qos: 2,
          expect: { topics: ['srv/humidity'], min: 1 },
        },
      ],
    },
  },
  'course-challenge': {
    describe: 'BridgeBroker1 1883 -> Central 1884; BridgeBroker2 1885 -> BridgeBroker3 1886 -> Central',
    lab: {
      brokers: {
        central: { port: 1884 },
        bridge1: { port: 1883 },
        bridge2: { port: 1885 },
        bridge3: { port: 1886 },
      },
      bridges: [
        { name: 'bridge1_central', from: 'bridge1', to: 'central', topic: 'srv/# both 2' },
        { name: 'bridge2_bridge3', from: 'bridge2', to: 'bridge3', topic: 'srv/# both 2' },
        { name: 'bridge3_central', from: 'bridge3', to: 'central', topic: 'srv/# both 2' },
      ],
      publishers: [
        { broker: 'bridge1', topic: 'srv/humidity', simulate: 'humidity', interval: 1, qos: 2 },
        { broker: 'bridge2', topic: 'srv/temperature', simulate: 'temperature', interval: 1, qos: 2 },
      ],
      subscribers: ['central', 'bridge1', 'bridge2', 'bridge3'].map((broker) => ({
        name: `sub-${broker}`,
        broker,
        filter: 'srv/#',
        qos: 2,
        expect: { topics: ['srv/temperature', 'srv/humidity'], min: 1 },
      })),
    },
  },
};
