import type { ArgumentsCamelCase, Argv, CommandModule, Options } from 'yargs';
import type { BridgeConfig } from '../src/config/broker-config.js';
import { ExitCode, UsageError } from '../src/errors.js';
import { isoLocal } from '../src/output/time.js';
import type { DialOptions } from '../src/transport/dial.js';
import { parseBrokerUrl } from '../src/transport/url.js';
import type { CommandFlags } from './shared/fast-args.js';

interface BridgeArgs {
  local: string;
  remote?: string[];
  topic?: string[];
  config?: string;
  name: string;
  remoteClientid?: string;
  localClientid?: string;
  protocolVersion: 'mqttv31' | 'mqttv311' | 'mqttv50';
  cleansession: boolean;
  keepalive: number;
  restartTimeout: number[];
  reconnect: boolean;
  tryPrivate: boolean;
  notifications: boolean;
  cafile?: string;
}

/** --local and --remote URLs become dial targets; credentials in them become the bridge's. */
function target(url: string): { dial: DialOptions; username?: string; password?: string } {
  const u = parseBrokerUrl(url);
  return {
    dial: { scheme: u.scheme, host: u.host, port: u.port, ...(u.wsPath ? { wsPath: u.wsPath } : {}) },
    ...(u.username !== undefined ? { username: u.username } : {}),
    ...(u.password !== undefined ? { password: u.password } : {}),
  };
}

/** One bridge from the flags, built and checked by the same code as a `connection` block. */
async function fromFlags(argv: BridgeArgs): Promise<BridgeConfig> {
  const { newBridge, parseTopicTokens } = await import('../src/config/bridge-rules.js');
  if (!argv.remote?.length) throw new UsageError('give --remote URL (or -c FILE with connection blocks)');
  if (!argv.topic?.length)
    throw new UsageError(`give at least one --topic 'PATTERN [out|in|both [QOS [LOCAL REMOTE]]]'`);
  const bridge = newBridge(argv.name, 'command line');
  const remotes = argv.remote.map(target);
  for (const r of remotes) {
    if (r.dial.scheme !== 'mqtt' && r.dial.scheme !== 'mqtts')
      throw new UsageError(`--remote supports mqtt:// and mqtts:// URLs, got ${r.dial.scheme}://`);
  }
  bridge.addresses = remotes.map((r) => ({ host: r.dial.host, port: r.dial.port }));
  if (remotes[0]!.dial.scheme === 'mqtts') bridge.tls = { insecure: false, cafile: argv.cafile };
  if (remotes[0]!.username !== undefined) bridge.remoteUsername = remotes[0]!.username;
  if (remotes[0]!.password !== undefined) bridge.remotePassword = remotes[0]!.password;
  bridge.topics = argv.topic.map((rule) => ({
    ...parseTopicTokens(`--topic '${rule}'`, rule.trim().split(/\s+/)),
    origin: '--topic',
  }));
  if (argv.remoteClientid !== undefined) bridge.remoteClientId = argv.remoteClientid;
  if (argv.localClientid !== undefined) bridge.localClientId = argv.localClientid;
  bridge.protocolVersion = argv.protocolVersion;
  bridge.cleanSession = argv.cleansession;
  bridge.keepaliveInterval = argv.keepalive;
  const base = argv.restartTimeout[0] ?? 5;
  const cap = argv.restartTimeout[1] ?? base;
  if (!(base > 0) || cap < base)
    throw new UsageError('--restart-timeout expects BASE [CAP] seconds, CAP >= BASE > 0');
  bridge.restartTimeout = [base, cap];
  bridge.tryPrivate = argv.tryPrivate;
  bridge.notifications = argv.notifications;
  return bridge;
}

/** On a terminal: one line per rule with what crossed each way, redrawn every second. */
function showCounts(bridges: import('../src/bridge/standalone.js').StandaloneBridge[]): () => void {
  let drawn = 0;
  const draw = () => {
    const lines: string[] = [];
    for (const b of bridges) {
      const state = `${b.state.local ? 'up' : 'down'}/${b.state.remote ? 'up' : 'down'}`;
      lines.push(`bridge ${b.config.name} (local/remote ${state})`);
      b.config.topics.forEach((t, i) => {
        const rule = `${t.pattern || '""'} ${t.direction} ${t.qos}${t.localPrefix || t.remotePrefix ? ` ${t.localPrefix || '""'} ${t.remotePrefix || '""'}` : ''}`;
        lines.push(
          `  ${rule.padEnd(40)} out ${String(b.forwardedOut[i]).padStart(8)}  in ${String(b.forwardedIn[i]).padStart(8)}`,
        );
      });
    }
    process.stderr.write(`${drawn > 0 ? `\x1b[${drawn}A` : ''}${lines.map((l) => `\x1b[2K${l}\n`).join('')}`);
    drawn = lines.length;
  };
  const timer = setInterval(draw, 1000);
  return () => {
    clearInterval(timer);
    draw();
  };
}

const BRIDGE_OPTIONS = {
  local: {
    alias: 'l',
    type: 'string',
    default: 'mqtt://localhost:1883',
    describe: 'The local broker (URL; credentials in it are local_username/local_password)',
  },
  remote: {
    alias: 'r',
    type: 'string',
    array: true,
    describe: 'The remote broker (URL); several for failover, tried in order',
  },
  topic: {
    alias: 't',
    type: 'string',
    array: true,
    describe: `A bridge rule as mosquitto's: 'PATTERN [[[out|in|both] QOS] LOCAL_PREFIX REMOTE_PREFIX]'`,
  },
  config: {
    alias: 'c',
    type: 'string',
    describe:
      'A mosquitto.conf whose connection blocks to run (all of them, between --local and each address)',
  },
  name: {
    type: 'string',
    default: 'mqx-bridge',
    describe: 'Connection name (for client ids and logs)',
  },
  'remote-clientid': {
    type: 'string',
    describe: 'Client id on the remote (default HOSTNAME.NAME)',
  },
  'local-clientid': {
    type: 'string',
    describe: 'Client id on the local broker (default local.REMOTE_ID)',
  },
  'protocol-version': {
    type: 'string',
    choices: ['mqttv31', 'mqttv311', 'mqttv50'] as const,
    default: 'mqttv311' as const,
    describe: 'MQTT version of both connections',
  },
  cleansession: {
    type: 'boolean',
    default: false,
    describe: 'Clean sessions (the brokers then keep nothing for the bridge while it is away)',
  },
  keepalive: { type: 'number', default: 60, describe: 'Keep alive, seconds' },
  reconnect: {
    type: 'boolean',
    default: true,
    describe: 'Reconnect a lost connection (--no-reconnect: exit 3 instead, as start_type once)',
  },
  'restart-timeout': {
    type: 'number',
    array: true,
    default: [5, 30],
    describe: 'Reconnect delay: BASE [CAP] seconds, with jitter',
  },
  'try-private': {
    type: 'boolean',
    default: true,
    describe: 'Announce the bridge (protocol level | 0x80) so brokers never echo its messages (3.1.x)',
  },
  notifications: {
    type: 'boolean',
    default: true,
    describe: 'Publish retained 1/0 on $SYS/broker/connection/ID/state',
  },
  cafile: { type: 'string', describe: 'CA certificates for an mqtts:// remote' },
} satisfies Record<string, Options>;

/** Read by the yargs builder below and by src/cli.ts's fast path. */
export const flags: CommandFlags = { options: BRIDGE_OPTIONS };

const command: CommandModule<object, BridgeArgs> = {
  command: 'bridge',
  describe: 'Bridge two MQTT brokers (mosquitto bridge semantics: topic rules, prefixes, loop-free)',
  builder: (y: Argv) =>
    y
      .options(BRIDGE_OPTIONS)
      // Short flags: yargs wraps an example's command at half the width, and a rule broken inside its
      // quotes cannot be pasted.
      .example(`$0 bridge -r mqtt://central:1884 -t 'srv/# out 2'`, 'the course bridge')
      .example(
        '$0 bridge -c bridges.conf',
        'run the connection blocks of a mosquitto.conf',
      ) as unknown as Argv<BridgeArgs>,
  handler: async (argv: ArgumentsCamelCase<BridgeArgs>) => {
    let configs: BridgeConfig[];
    if (argv.config !== undefined) {
      if (argv.remote?.length || argv.topic?.length)
        throw new UsageError('-c takes bridges from the file: do not combine it with --remote or --topic');
      const { parseMosquittoConf } = await import('../src/config/mosquitto-conf.js');
      configs = parseMosquittoConf(argv.config, { pathPrefix: process.env.MQX_PATH_PREFIX }).bridges;
      if (configs.length === 0)
        throw new UsageError(`${argv.config}: no 'connection' block, so nothing to bridge`);
    } else {
      configs = [await fromFlags(argv)];
    }
    const local = target(argv.local);
    const { StandaloneBridge } = await import('../src/bridge/standalone.js');
    const log = (message: string) => process.stderr.write(`${isoLocal(new Date())} ${message}\n`);
    const tty = process.stderr.isTTY === true;
    let lost = false;
    let stopNow: () => void = () => undefined;
    const ended = (name: string) => (side: 'local' | 'remote') => {
      log(`bridge ${name}: the ${side} connection was lost; --no-reconnect: stopping.`);
      lost = true;
      stopNow();
    };
    const bridges = configs.map((config) => {
      const withLocal = { ...config };
      if (!argv.reconnect) withLocal.startType = 'once';
      if (local.username !== undefined && withLocal.localUsername === undefined)
        withLocal.localUsername = local.username;
      if (local.password !== undefined && withLocal.localPassword === undefined)
        withLocal.localPassword = local.password;
      return new StandaloneBridge(withLocal, local.dial, tty ? () => undefined : log, ended(config.name));
    });
    for (const b of bridges) {
      if (!tty)
        log(
          `bridge ${b.config.name}: ${argv.local} <-> ${b.config.addresses.map((a) => `${a.host}:${a.port}`).join(', ')}`,
        );
      b.start();
    }
    const stopCounts = tty ? showCounts(bridges) : undefined;
    await new Promise<void>((resolve) => {
      stopNow = resolve;
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    stopCounts?.();
    await Promise.all(bridges.map((b) => b.stop()));
    if (!tty) {
      for (const b of bridges) {
        const out = b.forwardedOut.reduce((a, n) => a + n, 0);
        const inn = b.forwardedIn.reduce((a, n) => a + n, 0);
        log(`bridge ${b.config.name}: stopped; forwarded ${out} out, ${inn} in`);
      }
    }
    process.exit(lost ? ExitCode.ConnectionFailed : 0);
  },
};

export default command;
