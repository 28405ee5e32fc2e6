/**
 * `log_format json`: a mosquitto text line as one JSON object with time, level, event and fields.
 * The broker's messages keep mosquitto's wording (scripts grep them); the well-known ones are
 * recognised here so that a log pipeline can select on `event` and read `client`, `address`...
 */
interface Pattern {
  event: string;
  re: RegExp;
  names: readonly string[];
}

const PATTERNS: readonly Pattern[] = [
  {
    event: 'client_connected',
    re: /^New client connected from (.+):(\d+) as (.+?) \((.+?), c(\d), k(\d+)/,
    names: ['address', 'port', 'client', 'protocol', 'clean', 'keepalive'],
  },
  {
    event: 'connection_opened',
    re: /^New connection from (.+):(\d+) on port (\d+)\.$/,
    names: ['address', 'port', 'listener_port'],
  },
  {
    event: 'client_disconnected',
    re: /^Client (.+?) disconnected(?:: (.+))?\.$/,
    names: ['client', 'reason'],
  },
  { event: 'client_closed', re: /^Client (.+?) closed its connection\.$/, names: ['client'] },
  { event: 'client_timeout', re: /^Client (.+?) has exceeded timeout/, names: ['client'] },
  { event: 'session_expired', re: /^Expiring client (.+)\.$/, names: ['client'] },
  {
    event: 'messages_dropped',
    re: /^Outgoing messages are being dropped for client (.+?): (.+)\.$/,
    names: ['client', 'reason'],
  },
  {
    event: 'protocol_error',
    re: /^Protocol error from (.+?): (.+); closing connection\.$/,
    names: ['client', 'error'],
  },
  { event: 'admin_auth_failed', re: /^HTTP admin: (.+) from (.+)\.$/, names: ['reason', 'address'] },
];

export function jsonLine(time: Date, level: string, message: string): string {
  const record: Record<string, string | number> = { time: time.toISOString(), level, event: 'log' };
  for (const p of PATTERNS) {
    const m = p.re.exec(message);
    if (m === null) continue;
    record.event = p.event;
    p.names.forEach((name, i) => {
      const value = m[i + 1];
      if (value !== undefined) record[name] = /^\d+$/.test(value) ? Number(value) : value;
    });
    break;
  }
  record.message = message;
  return `${JSON.stringify(record)}\n`;
}
