/**
 * The course's paho-mqtt scripts (python3-paho-mqtt 1.6), unchanged, against brokers started on
 * the course's configs, unchanged: the basic scenario (mosquitto.conf on 1883) and the bridge step
 * (publisher on the bridge broker 1883, subscribers on the central broker 1884). Bounded by the
 * scripts' environment variables (the course README lists them).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { COURSE, courseMachineScript, mosquittoCourseBroker, mqxCourseBroker } from '../helpers/course.js';
import { runInNetns } from '../helpers/netns.js';
import { PYTHON, peers } from '../helpers/peers.js';

const read = (dir: string, name: string) => readFileSync(path.join(dir, name), 'utf8');
const COUNT = 20;

/** The publisher on `pubPort`, both subscribers on `subPort`, each stopping after COUNT messages. */
const pahoRun = (pubPort: number, subPort: number) => `
MQTT_PORT=${subPort} MQTT_COUNT=${COUNT} MQTT_TIMEOUT=30 ${PYTHON} ${COURSE}/mqtt_sub_temp.py > "$OUT/temp.out" 2>&1 &
TEMP=$!
MQTT_PORT=${subPort} MQTT_COUNT=${COUNT} MQTT_TIMEOUT=30 ${PYTHON} ${COURSE}/mqtt_sub_humid.py > "$OUT/humid.out" 2>&1 &
HUMID=$!
sleep 1
MQTT_PORT=${pubPort} MQTT_COUNT=${COUNT} MQTT_INTERVAL=0.05 ${PYTHON} ${COURSE}/mqtt_publish.py > "$OUT/pub.out" 2>&1
echo "pub exit $?" >> "$OUT/pub.out"
wait $TEMP; echo "temp exit $?" >> "$OUT/temp.out"
wait $HUMID; echo "humid exit $?" >> "$OUT/humid.out"
`;

/** Each subscriber got exactly what the publisher sent on its topic, in order, and all exited 0. */
function expectDelivered(out: string): void {
  const pub = read(out, 'pub.out');
  const temp = read(out, 'temp.out');
  const humid = read(out, 'humid.out');
  expect(pub).toContain('Connected to MQTT Broker!');
  expect(pub).toContain(`Published ${2 * COUNT}/${2 * COUNT}`);
  expect(pub).toContain('pub exit 0');
  const sent = (topic: string) =>
    [...pub.matchAll(new RegExp(`Send \`([^\`]+)\` to topic \`${topic}\``, 'g'))].map((m) => m[1]);
  const received = (text: string, topic: string) =>
    [...text.matchAll(new RegExp(`Received \`([^\`]+)\` from \`${topic}\` topic`, 'g'))].map((m) => m[1]);
  expect(sent('srv/temperature')).toHaveLength(COUNT);
  expect(received(temp, 'srv/temperature'), temp).toEqual(sent('srv/temperature'));
  expect(received(humid, 'srv/humidity'), humid).toEqual(sent('srv/humidity'));
  expect(temp).toContain('temp exit 0');
  expect(humid).toContain('humid exit 0');
}

describe.runIf(peers.paho() && peers.netns())('the course scripts (python3-paho-mqtt), unchanged', () => {
  it("basic scenario: mqx broker on the course's mosquitto.conf", async () => {
    const r = await runInNetns(`
${courseMachineScript}
${mqxCourseBroker('mosquitto.conf', 'broker.log')}
wait_port 1883
${pahoRun(1883, 1883)}
`);
    expectDelivered(r.out);
    expect(read(r.out, 'broker.log')).toMatch(
      /New client connected from 127\.0\.0\.1:\d+ as python-mqtt-\d+ \(p2, c1, k60\)/,
    );
  });

  it.runIf(peers.mosquitto())(
    'basic scenario: mosquitto on the same mosquitto.conf, the same way',
    async () => {
      const r = await runInNetns(`
${courseMachineScript}
${mosquittoCourseBroker('mosquitto.conf', 'broker.log')}
wait_port 1883
${pahoRun(1883, 1883)}
`);
      expectDelivered(r.out);
    },
  );

  it('bridge step: published on the bridge broker (1883), received on the central broker (1884)', async () => {
    const r = await runInNetns(`
${courseMachineScript}
${mqxCourseBroker('central.conf', 'central.log')}
wait_port 1884
${mqxCourseBroker('bridge.conf', 'bridge.log')}
wait_port 1883
for _ in $(seq 1 100); do grep -q 'Bridge bridge: connected' "$OUT/bridge.log" && break; sleep 0.1; done
${pahoRun(1883, 1884)}
`);
    expectDelivered(r.out);
  });
});
