/**
 * The course's bridge scenarios, from its own config files, each in a network namespace of its own
 * (the configs use fixed ports 1883-1886). Publishers and subscribers are mosquitto_pub/sub.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runInNetns } from '../helpers/netns.js';
import { MOSQUITTO, peers } from '../helpers/peers.js';

const CONF = 'test/fixtures/config';
const CHALLENGE = `${CONF}/challenge`;
const read = (dir: string, name: string) => readFileSync(path.join(dir, name), 'utf8');
const lines = (text: string) => text.split('\n').filter(Boolean);

/** Starts one broker whose absolute paths (/var/lib, /var/log, /etc) live under $OUT/NAME. */
const mqxBroker = (name: string, conf: string) => `
mkdir -p "$OUT/${name}/var/lib/mosquitto" "$OUT/${name}/var/log/mosquitto" "$OUT/${name}/etc/mosquitto/conf.d"
MQX_PATH_PREFIX="$OUT/${name}" $MQX broker -c ${conf} -v > "$OUT/${name}.log" 2>&1 &`;

/** Waits until a bridge's retained state on a broker says 1 (connected). */
const waitBridge = (port: number, id: string) => `
for _ in $(seq 1 100); do
  [ "$(mosquitto_sub -p ${port} -t "\\$SYS/broker/connection/${id}/state" -C 1 -W 1 2>/dev/null)" = 1 ] && break
  sleep 0.1
done`;

describe.runIf(peers.netns() && peers.mosquittoClients())('the course bridge (mqx broker)', () => {
  it('QoS 2 from the bridge broker on 1883 reaches the central broker on 1884 exactly once', async () => {
    const r = await runInNetns(`
${mqxBroker('central', `${CONF}/central-1884.conf`)}
wait_port 1884
${mqxBroker('bridge', `${CONF}/bridge-1883.conf`)}
wait_port 1883
${waitBridge(1884, '$(hostname).bridge-central')}
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
    expect(got, read(r.out, 'bridge.log')).toEqual(expected);
    expect(read(r.out, 'bridge.log')).toMatch(/Bridge bridge-central: connected to localhost:1884/);
    expect(read(r.out, 'central.log')).toMatch(/as \S+\.bridge-central \(p2, c0, k60\)/);
  });
});

/** The challenge: 1883 → 1884; 1885 → 1886 → 1884; all rules `srv/# both 2`. */
function challengeScript(mosquittoOn: number[]): string {
  const start = (port: number, file: string) =>
    mosquittoOn.includes(port)
      ? `${MOSQUITTO} -c ${CHALLENGE}/${file} -v > "$OUT/${port}.log" 2>&1 &`
      : `$MQX broker -c ${CHALLENGE}/${file} -v > "$OUT/${port}.log" 2>&1 &`;
  return `
${start(1884, 'central-1884.conf')}
wait_port 1884
${start(1886, 'bridge3-1886.conf')}
wait_port 1886
${waitBridge(1884, '$(hostname).bridge3_central')}
${start(1885, 'bridge2-1885.conf')}
${start(1883, 'bridge1-1883.conf')}
wait_port 1885
wait_port 1883
${waitBridge(1886, '$(hostname).bridge2_bridge3')}
${waitBridge(1884, '$(hostname).bridge1_central')}
for p in 1883 1884 1885 1886; do
  mosquitto_sub -p $p -q 2 -t 'srv/#' -v > "$OUT/sub-$p.out" &
done
sleep 1
seq 1 100 | sed 's/^/humidity: /' | mosquitto_pub -p 1883 -q 2 -t srv/humidity -l
seq 1 100 | sed 's/^/temperature: /' | mosquitto_pub -p 1885 -q 2 -t srv/temperature -l
# Long enough for a looping message to come round many times.
sleep 3
`;
}

function expectEveryMessageOnce(out: string): void {
  for (const port of [1883, 1884, 1885, 1886]) {
    const got = lines(read(out, `sub-${port}.out`));
    const humidity = got.filter((l) => l.startsWith('srv/humidity '));
    const temperature = got.filter((l) => l.startsWith('srv/temperature '));
    const logs = [1883, 1884, 1885, 1886].map((p) => read(out, `${p}.log`).slice(-3000)).join('\n');
    expect(humidity, `subscriber on ${port}\n${logs}`).toEqual(
      Array.from({ length: 100 }, (_, i) => `srv/humidity humidity: ${i + 1}`),
    );
    expect(temperature, `subscriber on ${port}`).toEqual(
      Array.from({ length: 100 }, (_, i) => `srv/temperature temperature: ${i + 1}`),
    );
  }
}

describe.runIf(peers.netns() && peers.mosquittoClients())('the course challenge topology', () => {
  it('with mqx brokers and `both` rules, every subscriber gets every message once, none circulates', async () => {
    const r = await runInNetns(challengeScript([]));
    expectEveryMessageOnce(r.out);
  });

  it.runIf(peers.mosquitto())(
    'mixed: mosquitto as BridgeBroker3 bridges into mqx central and takes mqx BridgeBroker2’s bridge',
    async () => {
      const r = await runInNetns(challengeScript([1886]));
      expectEveryMessageOnce(r.out);
    },
  );

  // Not all three bridge brokers: mosquitto 2.0.11 bridging into mosquitto sometimes sends more
  // QoS 2 in flight than the receiving mosquitto accepts, which then drops them (seen here).
  it.runIf(peers.mosquitto())(
    'mixed: mosquitto BridgeBrokers 1 and 2 around mqx BridgeBroker3 and central',
    async () => {
      const r = await runInNetns(challengeScript([1883, 1885]));
      expectEveryMessageOnce(r.out);
    },
  );
});
