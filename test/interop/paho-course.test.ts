import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runInNetns } from '../helpers/netns.js';
import { PYTHON, peers } from '../helpers/peers.js';

const COURSE = 'test/fixtures/course';
const read = (dir: string, name: string) => readFileSync(path.join(dir, name), 'utf8');

describe.runIf(peers.paho() && peers.netns())(
  'the course scripts (python3-paho-mqtt) against mqx broker',
  () => {
    for (const publisher of ['mqqt_publish.py', 'mqqt_publish_qos2.py']) {
      it(`${publisher} reaches mqqt_sub_temp.py and mqqt_sub_humid.py unchanged`, async () => {
        const r = await runInNetns(`
$MQX broker -v > "$OUT/broker.log" 2>&1 &
wait_port 1883
${PYTHON} ${COURSE}/mqqt_sub_temp.py > "$OUT/temp.out" 2>&1 &
${PYTHON} ${COURSE}/mqqt_sub_humid.py > "$OUT/humid.out" 2>&1 &
sleep 1
timeout 4.5 ${PYTHON} ${COURSE}/${publisher} > "$OUT/pub.out" 2>&1
sleep 0.5
`);
        const pub = read(r.out, 'pub.out');
        const temp = read(r.out, 'temp.out');
        const humid = read(r.out, 'humid.out');
        expect(pub, r.stderr).toContain('Connected to MQTT Broker!');
        const sentTemp = [...pub.matchAll(/Send `(temperature: \d+)` to topic `srv\/temperature`/g)].map(
          (m) => m[1],
        );
        const sentHumid = [...pub.matchAll(/Send `(humidity: \d+)` to topic `srv\/humidity`/g)].map(
          (m) => m[1],
        );
        expect(sentTemp.length).toBeGreaterThanOrEqual(3);
        const gotTemp = [
          ...temp.matchAll(/Received `(temperature: \d+)` from `srv\/temperature` topic/g),
        ].map((m) => m[1]);
        const gotHumid = [...humid.matchAll(/Received `(humidity: \d+)` from `srv\/humidity` topic/g)].map(
          (m) => m[1],
        );
        expect(temp).toContain('Connected to MQTT Broker!');
        expect(gotTemp).toEqual(sentTemp);
        expect(gotHumid).toEqual(sentHumid);
        expect(read(r.out, 'broker.log')).toMatch(
          /New client connected from 127\.0\.0\.1:\d+ as python-mqtt-\d+ \(p2, c1, k60\)/,
        );
      });
    }
  },
);
