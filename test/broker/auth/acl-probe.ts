import { execa, type ResultPromise } from 'execa';
import { connectAsync } from 'mqtt';
import { ACL_OBSERVER, type AclCase } from './acl-cases.js';

/**
 * Finds out what a running broker decides for each ACL case, with mosquitto_pub / mosquitto_sub
 * (MQTT 5.0, so that refusals carry reason codes):
 * - publish: the PUBACK reason code of a QoS 1 PUBLISH (0x87 when refused);
 * - subscribe: the SUBACK reason code;
 * - receive: a subscriber to the exact topic must get both the retained message seeded before it
 *   subscribed and a live one published after, or neither ($SYS topics: the broker's own retained
 *   message only). Getting one but not the other fails the probe.
 * All clients of a phase run in parallel; the broker must allow anonymous clients and know
 * `passwords`.
 */

export interface ProbeResult {
  allowed: boolean;
  /** The client's debug output, for failure messages. */
  output: string;
}

const WAIT_FOR_REFUSED_DELIVERY_MS = 1000;

function clientArgs(
  port: number,
  c: { clientId: string; username?: string },
  passwords: Record<string, string>,
): string[] {
  const args = ['-h', '127.0.0.1', '-p', String(port), '-V', '5', '-d', '-i', c.clientId];
  if (c.username !== undefined) args.push('-u', c.username, '-P', passwords[c.username] ?? '');
  return args;
}

async function publish(
  port: number,
  who: { clientId: string; username?: string },
  passwords: Record<string, string>,
  topic: string,
  retain: boolean,
) {
  const args = [
    ...clientArgs(port, who, passwords),
    '-q',
    '1',
    '-t',
    topic,
    '-m',
    retain ? 'retained' : 'live',
  ];
  const r = await execa('mosquitto_pub', retain ? [...args, '-r'] : args, {
    reject: false,
    all: true,
    timeout: 10_000,
  });
  return r.all ?? '';
}

function pubackAllowed(output: string): boolean {
  const m = /received PUBACK \(Mid: \d+, RC:(\d+)\)/.exec(output);
  if (!m) throw new Error(`no PUBACK:\n${output}`);
  return Number(m[1]) < 0x80;
}

async function probePublish(
  port: number,
  c: AclCase,
  passwords: Record<string, string>,
): Promise<ProbeResult> {
  const output = await publish(port, c, passwords, c.topic, false);
  return { allowed: pubackAllowed(output), output };
}

async function probeSubscribe(
  port: number,
  c: AclCase,
  passwords: Record<string, string>,
): Promise<ProbeResult> {
  const r = await execa(
    'mosquitto_sub',
    [...clientArgs(port, c, passwords), '-E', '-W', '10', '-t', c.topic],
    {
      reject: false,
      all: true,
    },
  );
  const output = r.all ?? '';
  const m = /Subscribed \(mid: \d+\): (\d+)/.exec(output);
  if (!m) throw new Error(`no SUBACK:\n${output}`);
  return { allowed: Number(m[1]) < 0x80, output };
}

/** Starts a subscriber and resolves once its SUBACK arrived (or it ended). */
function subscriber(port: number, c: AclCase, passwords: Record<string, string>) {
  // stdbuf: mosquitto_sub buffers its debug lines when stdout is a pipe, and we wait for its SUBACK line.
  const proc: ResultPromise<{ all: true; reject: false }> = execa(
    'stdbuf',
    [
      '-oL',
      'mosquitto_sub',
      ...clientArgs(port, c, passwords),
      '-C',
      c.topic.startsWith('$SYS') ? '1' : '2',
      '-W',
      '20',
      '-t',
      c.topic,
    ],
    { reject: false, all: true },
  );
  const subscribed = new Promise<void>((resolve) => {
    let seen = '';
    proc.all?.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.includes('Subscribed (mid')) resolve();
    });
    proc.finally(resolve);
  });
  return { proc, subscribed };
}

async function probeReceives(
  port: number,
  cases: AclCase[],
  passwords: Record<string, string>,
): Promise<ProbeResult[]> {
  const topics = [...new Set(cases.map((c) => c.topic).filter((t) => !t.startsWith('$SYS')))];
  // One MQTT.js connection publishes for the observer: a process per message is slow on a busy host.
  const observer = await connectAsync({
    host: '127.0.0.1',
    port,
    protocolVersion: 5,
    clientId: ACL_OBSERVER.clientId,
    username: ACL_OBSERVER.username,
    password: passwords[ACL_OBSERVER.username],
    reconnectPeriod: 0,
  });
  const publishAll = (retain: boolean) =>
    Promise.all(
      // MQTT.js rejects when the PUBACK carries a failure reason code.
      topics.map((t) => observer.publishAsync(t, retain ? 'retained' : 'live', { qos: 1, retain })),
    );
  try {
    await publishAll(true);
    return await deliver(port, cases, passwords, () => publishAll(false));
  } finally {
    await observer.endAsync();
  }
}

async function deliver(
  port: number,
  cases: AclCase[],
  passwords: Record<string, string>,
  publishLive: () => Promise<unknown>,
): Promise<ProbeResult[]> {
  const subs = cases.map((c) => subscriber(port, c, passwords));
  await Promise.all(subs.map((s) => s.subscribed));
  await publishLive();
  // Granted subscribers exit after their two messages; refused ones get nothing and are stopped.
  const timer = setTimeout(() => {
    for (const s of subs) s.proc.kill('SIGTERM');
  }, WAIT_FOR_REFUSED_DELIVERY_MS);
  const results = await Promise.all(subs.map((s) => s.proc));
  clearTimeout(timer);
  return results.map((r, i) => {
    const output = r.all ?? '';
    const retained = /received PUBLISH \(d\d, q\d, r1/.test(output);
    const live = cases[i]!.topic.startsWith('$SYS')
      ? retained
      : /received PUBLISH \(d\d, q\d, r0/.test(output);
    if (retained !== live)
      throw new Error(`retained and live deliveries disagree for ${cases[i]!.topic}:\n${output}`);
    return { allowed: retained, output };
  });
}

/** What the broker on `port` decides for every case, in the order of `cases`. */
export async function probeAclCases(
  port: number,
  cases: AclCase[],
  passwords: Record<string, string>,
): Promise<ProbeResult[]> {
  const results = new Map<AclCase, ProbeResult>();
  const direct = cases.filter((c) => c.action !== 'receive');
  const directResults = await Promise.all(
    direct.map((c) =>
      c.action === 'publish' ? probePublish(port, c, passwords) : probeSubscribe(port, c, passwords),
    ),
  );
  for (const [i, c] of direct.entries()) results.set(c, directResults[i]!);
  const receives = cases.filter((c) => c.action === 'receive');
  const receiveResults = await probeReceives(port, receives, passwords);
  for (const [i, c] of receives.entries()) results.set(c, receiveResults[i]!);
  return cases.map((c) => results.get(c)!);
}
