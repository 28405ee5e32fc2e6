/**
 * The course's bridge scenarios from its own config files, unchanged, every broker's /etc and /var
 * in one shared folder as on one machine; each scenario in a network namespace of its own (the
 * configs use fixed ports 1883-1886). mosquitto_pub/sub count messages exactly; the course's paho
 * scripts publish in the challenge.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ownStoreName } from '../../src/broker/store/choose.js';
import { COURSE, courseMachineScript, mosquittoCourseBroker, mqxCourseBroker } from '../helpers/course.js';
import { runInNetns } from '../helpers/netns.js';
import { PYTHON, peers } from '../helpers/peers.js';

const read = (dir: string, name: string) => readFileSync(path.join(dir, name), 'utf8');
const lines = (text: string) => text.split('\n').filter(Boolean);
const machine = (out: string, sub: string) => path.join(out, 'machine', sub);
const sharedLog = (out: string) => read(machine(out, 'var/log/mosquitto'), 'mosquitto.log');
/** The mqx stores in the shared persistence folder (not their -wal files). */
const mqxStores = (out: string) =>
  readdirSync(machine(out, 'var/lib/mosquitto'))
    .filter((n) => /^mqx.*\.db$/.test(n))
    .sort();

/** Waits until a bridge's retained state on a broker says 1 (connected). */
const waitBridge = (port: number, id: string) => `
for _ in $(seq 1 100); do
  [ "$(mosquitto_sub -p ${port} -t "\\$SYS/broker/connection/${id}/state" -C 1 -W 1 2>/dev/null)" = 1 ] && break
  sleep 0.1
done`;

/** Every line of the shared log is one whole line of one broker: a timestamp, then a message without one. */
function expectWholeLines(log: string): void {
  const torn = lines(log).filter((l) => !/^\d{10}: (?!.*\d{10}: )/.test(l));
  expect(torn, 'torn lines in the shared log').toEqual([]);
}

describe.runIf(peers.netns() && peers.mosquittoClients())('the course bridge (mqx broker)', () => {
  it('QoS 2 from the bridge broker on 1883 reaches the central broker on 1884 exactly once', async () => {
    const r = await runInNetns(`
${courseMachineScript}
${mqxCourseBroker('central.conf', 'central.log')}
wait_port 1884
${mqxCourseBroker('bridge.conf', 'bridge.log')}
wait_port 1883
${waitBridge(1884, '$(hostname).bridge')}
mosquitto_sub -p 1884 -q 2 -t 'srv/#' -v -C 1000 -W 30 > "$OUT/sub.out" &
SUB=$!
sleep 0.5
seq 1 500 | sed 's/^/temperature: /' | mosquitto_pub -p 1883 -q 2 -t srv/temperature -l
seq 1 500 | sed 's/^/humidity: /' | mosquitto_pub -p 1883 -q 2 -t srv/humidity -l
wait $SUB
sleep 0.5
`);
    const got = lines(read(r.out, 'sub.out'));
    const expected = [
      ...Array.from({ length: 500 }, (_, i) => `srv/temperature temperature: ${i + 1}`),
      ...Array.from({ length: 500 }, (_, i) => `srv/humidity humidity: ${i + 1}`),
    ];
    const bridgeLog = read(r.out, 'bridge.log');
    expect(got, bridgeLog).toEqual(expected);
    // `connection bridge central`: named `bridge` as mosquitto names it, with one warning.
    expect(bridgeLog).toMatch(/Bridge bridge: connected to localhost:1884/);
    expect(bridgeLog.match(/bridge names cannot contain spaces/g)).toHaveLength(1);
    expect(read(r.out, 'central.log')).toMatch(/as \S+\.bridge \(p2, c0, k60\)/);

    // One persistence folder, one store each; one log file, both brokers' lines whole.
    expect(mqxStores(r.out)).toEqual(
      [
        ownStoreName(path.join(COURSE, 'bridge.conf')),
        ownStoreName(path.join(COURSE, 'central.conf')),
      ].sort(),
    );
    const log = sharedLog(r.out);
    expectWholeLines(log);
    for (const conf of ['central.conf', 'bridge.conf']) {
      const config = path.join(COURSE, conf);
      expect(log).toContain(`Config loaded from ${config}.`);
      const store = path.join(machine(r.out, 'var/lib/mosquitto'), ownStoreName(config));
      expect(log).toContain(`Persistence file ${store} (the store of ${config}).`);
    }
  });
});

/** The challenge: 1883 → 1884; 1885 → 1886 → 1884; all rules `srv/# both 2`. */
const CHALLENGE: Record<number, string> = {
  1883: 'challenge-bridge1.conf',
  1884: 'central.conf',
  1885: 'challenge-bridge2.conf',
  1886: 'challenge-bridge3.conf',
};
const PORTS = [1883, 1884, 1885, 1886];
const COUNT = 50;
/** Four brokers, two rounds of publishing and the sleeps that let a looping message show. */
const CHALLENGE_TIMEOUT = 90_000;

/** The course's publisher on one broker, bounded: COUNT rounds of temperature and humidity. */
const publisher = (port: number) =>
  `MQTT_PORT=${port} MQTT_CLIENT_ID=pub-${port} MQTT_COUNT=${COUNT} MQTT_INTERVAL=0.02 ${PYTHON} ${COURSE}/mqtt_publish.py > "$OUT/pub-${port}.out" 2>&1`;

function challengeScript(mosquittoOn: number[]): string {
  const start = (port: number) =>
    mosquittoOn.includes(port)
      ? mosquittoCourseBroker(CHALLENGE[port]!, `${port}.log`)
      : mqxCourseBroker(CHALLENGE[port]!, `${port}.log`);
  return `
${courseMachineScript}
${start(1884)}
wait_port 1884
${start(1886)}
wait_port 1886
${waitBridge(1884, '$(hostname).bridge3_central')}
${start(1885)}
${start(1883)}
wait_port 1885
wait_port 1883
${waitBridge(1886, '$(hostname).bridge2_bridge3')}
${waitBridge(1884, '$(hostname).bridge1_central')}
# 1: numbered messages, so that order and duplicates show.
SUBS=""
for p in ${PORTS.join(' ')}; do
  mosquitto_sub -p $p -q 2 -t 'srv/#' -v -C 200 -W 30 > "$OUT/sub-$p.out" &
  SUBS="$SUBS $!"
done
sleep 1
seq 1 100 | sed 's/^/humidity: /' | mosquitto_pub -p 1883 -q 2 -t srv/humidity -l
seq 1 100 | sed 's/^/temperature: /' | mosquitto_pub -p 1885 -q 2 -t srv/temperature -l
wait $SUBS
# 2: the course's scripts, publishing on both edge brokers at once. A message still looping from
# part 1 would show up here as one too many.
for p in ${PORTS.join(' ')}; do
  mosquitto_sub -p $p -q 2 -t 'srv/#' -v > "$OUT/paho-sub-$p.out" &
done
MQTT_PORT=1884 MQTT_COUNT=${2 * COUNT} MQTT_TIMEOUT=30 ${PYTHON} ${COURSE}/mqtt_sub_temp.py > "$OUT/paho-temp.out" 2>&1 &
PAHO=$!
sleep 1
${publisher(1883)} &
PUB=$!
${publisher(1885)}
wait $PUB $PAHO
# Long enough for a looping message to come round many times.
sleep 2
`;
}

/** What a course publisher says it sent, as mosquitto_sub -v prints it. */
function sent(out: string, port: number): string[] {
  const pub = read(out, `pub-${port}.out`);
  expect(pub, pub).toContain(`Published ${2 * COUNT}/${2 * COUNT}`);
  return [...pub.matchAll(/Send `([^`]+)` to topic `([^`]+)`/g)].map((m) => `${m[2]} ${m[1]}`);
}

function expectEveryMessageOnce(out: string): void {
  const logs = PORTS.map((p) => read(out, `${p}.log`).slice(-3000)).join('\n');
  for (const port of PORTS) {
    const got = lines(read(out, `sub-${port}.out`));
    expect(
      got.filter((l) => l.startsWith('srv/humidity ')),
      `subscriber on ${port}\n${logs}`,
    ).toEqual(Array.from({ length: 100 }, (_, i) => `srv/humidity humidity: ${i + 1}`));
    expect(
      got.filter((l) => l.startsWith('srv/temperature ')),
      `subscriber on ${port}`,
    ).toEqual(Array.from({ length: 100 }, (_, i) => `srv/temperature temperature: ${i + 1}`));
  }
  // The two publishers' payloads are random and may repeat, so compare as multisets.
  const published = [...sent(out, 1883), ...sent(out, 1885)].sort();
  expect(published).toHaveLength(4 * COUNT);
  for (const port of PORTS) {
    const got = lines(read(out, `paho-sub-${port}.out`)).sort();
    expect(got, `subscriber on ${port}, course publishers`).toEqual(published);
  }
  expect(read(out, 'paho-temp.out')).toContain(`Received ${2 * COUNT} messages`);
  expectWholeLines(sharedLog(out));
}

describe.runIf(peers.netns() && peers.mosquittoClients() && peers.paho())(
  'the course challenge topology',
  () => {
    it(
      'with mqx brokers and `both` rules, every subscriber gets every message once, none circulates',
      async () => {
        const r = await runInNetns(challengeScript([]), CHALLENGE_TIMEOUT);
        expectEveryMessageOnce(r.out);
        expect(mqxStores(r.out)).toEqual(
          PORTS.map((p) => ownStoreName(path.join(COURSE, CHALLENGE[p]!))).sort(),
        );
      },
      CHALLENGE_TIMEOUT,
    );

    it.runIf(peers.mosquitto())(
      'mixed: mosquitto as BridgeBroker3 bridges into mqx central and takes mqx BridgeBroker2’s bridge',
      async () => {
        const r = await runInNetns(challengeScript([1886]), CHALLENGE_TIMEOUT);
        expectEveryMessageOnce(r.out);
      },
      CHALLENGE_TIMEOUT,
    );

    // Not all three bridge brokers: mosquitto 2.0.11 bridging into mosquitto sometimes sends more
    // QoS 2 in flight than the receiving mosquitto accepts, which then drops them (seen here).
    it.runIf(peers.mosquitto())(
      'mixed: mosquitto BridgeBrokers 1 and 2 around mqx BridgeBroker3 and central',
      async () => {
        const r = await runInNetns(challengeScript([1883, 1885]), CHALLENGE_TIMEOUT);
        expectEveryMessageOnce(r.out);
      },
      CHALLENGE_TIMEOUT,
    );
  },
);
