/**
 * `mqx broker --check`: the effective configuration as mosquitto.conf lines, every setting
 * including defaults, so that a user sees what the broker will do and can paste it back into a
 * config file. Settings mosquitto has no directive for appear as `# mqx:` comments. Secrets are
 * masked.
 */
import type { BridgeConfig, BrokerConfig, ListenerConfig, SecuritySettings } from './broker-config.js';

const MASK = '********';

/** mosquitto's way to write an empty topic or prefix. */
function quoted(text: string): string {
  return text === '' ? '""' : text;
}

function durationText(seconds: number): string {
  for (const [unit, size] of [
    ['y', 365 * 86400],
    ['w', 7 * 86400],
    ['d', 86400],
    ['h', 3600],
  ] as const) {
    if (seconds % size === 0) return `${seconds / size}${unit}`;
  }
  return '';
}

function security(out: string[], s: SecuritySettings | undefined): void {
  out.push(
    s?.allowAnonymous === undefined
      ? `# allow_anonymous not set: true only while no listener and no password file is configured`
      : `allow_anonymous ${s.allowAnonymous}`,
  );
  if (s?.passwordFile) out.push(`password_file ${s.passwordFile}`);
  if (s?.aclFile) out.push(`acl_file ${s.aclFile}`);
}

function listener(out: string[], l: ListenerConfig, perListener: boolean): void {
  const address = l.unixSocketPath ?? l.host;
  out.push('');
  if (address === undefined) out.push('# on every interface:');
  out.push(`listener ${l.port}${address === undefined ? '' : ` ${address}`}`);
  out.push(`protocol ${l.protocol}`, `max_connections ${l.maxConnections === 0 ? -1 : l.maxConnections}`);
  if (l.mountPoint !== undefined) out.push(`mount_point ${l.mountPoint}`);
  if (l.httpPath !== undefined) out.push(`# mqx: http_path ${l.httpPath}`);
  const tls = l.tls;
  if (tls) {
    for (const [key, value] of [
      ['certfile', tls.certfile],
      ['keyfile', tls.keyfile],
      ['keyfile_password', tls.keyPassword === undefined ? undefined : MASK],
      ['cafile', tls.cafile],
      ['capath', tls.capath],
      ['crlfile', tls.crlfile],
      ['tls_version', tls.tlsVersion],
      ['ciphers', tls.ciphers],
    ] as const) {
      if (value !== undefined) out.push(`${key} ${value}`);
    }
    out.push(
      `require_certificate ${tls.requireCertificate}`,
      `use_identity_as_username ${tls.useIdentityAsUsername}`,
      `use_subject_as_username ${tls.useSubjectAsUsername}`,
    );
  }
  if (perListener) security(out, l.security);
  if (l.origin) out.push(`# from ${l.origin}`);
}

function bridge(out: string[], b: BridgeConfig): void {
  out.push(
    '',
    `connection ${b.name}`,
    `addresses ${b.addresses.map((a) => `${a.host}:${a.port}`).join(' ')}`,
  );
  out.push(`round_robin ${b.roundRobin}`);
  for (const t of b.topics) {
    out.push(
      `topic ${quoted(t.pattern)} ${t.direction} ${t.qos} ${quoted(t.localPrefix)} ${quoted(t.remotePrefix)}`,
    );
  }
  const optional: Array<[string, string | number | undefined]> = [
    ['remote_clientid', b.remoteClientId],
    ['local_clientid', b.localClientId],
    ['remote_username', b.remoteUsername],
    ['remote_password', b.remotePassword === undefined ? undefined : MASK],
    ['local_username', b.localUsername],
    ['local_password', b.localPassword === undefined ? undefined : MASK],
    ['local_cleansession', b.localCleanSession === undefined ? undefined : String(b.localCleanSession)],
    ['notification_topic', b.notificationTopic],
    ['bridge_session_expiry_interval', b.sessionExpiryInterval],
    ['bridge_receive_maximum', b.receiveMaximum],
    ['bridge_cafile', b.tls?.cafile],
    ['bridge_capath', b.tls?.capath],
    ['bridge_certfile', b.tls?.certfile],
    ['bridge_keyfile', b.tls?.keyfile],
    ['bridge_insecure', b.tls ? String(b.tls.insecure) : undefined],
    ['bridge_tls_version', b.tls?.tlsVersion],
  ];
  for (const [key, value] of optional) if (value !== undefined) out.push(`${key} ${value}`);
  out.push(
    `cleansession ${b.cleanSession}`,
    `keepalive_interval ${b.keepaliveInterval}`,
    `bridge_protocol_version ${b.protocolVersion}`,
    `try_private ${b.tryPrivate}`,
    `notifications ${b.notifications}`,
    `notifications_local_only ${b.notificationsLocalOnly}`,
    `restart_timeout ${b.restartTimeout[0]} ${b.restartTimeout[1]}`,
    `start_type ${b.startType}`,
    `threshold ${b.threshold}`,
    `idle_timeout ${b.idleTimeout}`,
    `bridge_attempt_unsubscribe ${b.attemptUnsubscribe}`,
    `bridge_outgoing_retain ${b.outgoingRetain}`,
    `bridge_max_packet_size ${b.maxPacketSize}`,
  );
  if (b.origin) out.push(`# from ${b.origin}`);
}

export function formatEffectiveConfig(cfg: BrokerConfig): string {
  const out: string[] = ['# mqx effective configuration'];
  if (cfg.sources.length > 0) out.push(`# read from ${cfg.sources.join(', ')}`);
  for (const w of cfg.warnings) out.push(`# warning: ${w}`);
  out.push('', `per_listener_settings ${cfg.perListenerSettings}`);
  if (!cfg.perListenerSettings) security(out, cfg.security);
  const expiration =
    cfg.persistentClientExpiration === undefined ? undefined : durationText(cfg.persistentClientExpiration);
  out.push(
    `allow_zero_length_clientid ${cfg.allowZeroLengthClientId}`,
    `auto_id_prefix ${cfg.autoIdPrefix}`,
    `max_inflight_messages ${cfg.maxInflightMessages}`,
    `max_queued_messages ${cfg.maxQueuedMessages}`,
    `max_queued_bytes ${cfg.maxQueuedBytes}`,
    `# mqx: flow_control ${cfg.flowControl.enabled}`,
    `# mqx: flow_control_max_pause ${cfg.flowControl.maxPauseMs / 1000}`,
    `# mqx: flow_control_window ${cfg.flowControl.windowMs / 1000}`,
    `message_size_limit ${cfg.messageSizeLimit}`,
    `max_packet_size ${cfg.maxPacketSize}`,
    `max_keepalive ${cfg.maxKeepalive}`,
    `max_topic_alias ${cfg.maxTopicAlias}`,
    `sys_interval ${cfg.sysInterval}`,
    `retain_available ${cfg.retainAvailable}`,
    `max_qos ${cfg.maxQos}`,
    `queue_qos0_messages ${cfg.queueQos0Messages}`,
    expiration === undefined
      ? '# persistent_client_expiration not set: persistent sessions never expire'
      : expiration === ''
        ? `# mqx: persistent_client_expiration ${cfg.persistentClientExpiration}s`
        : `persistent_client_expiration ${expiration}`,
    '',
    `persistence ${cfg.persistence.enabled}`,
  );
  if (cfg.persistence.location) out.push(`persistence_location ${cfg.persistence.location}`);
  out.push(
    cfg.persistence.file === undefined
      ? '# persistence_file not set: mqx.db, or a file of this config its own when other brokers share the folder'
      : `persistence_file ${cfg.persistence.file}`,
    `autosave_interval ${cfg.persistence.autosaveInterval}`,
    `persistence_sync ${cfg.persistence.syncEveryCommit}`,
    '',
  );
  for (const d of cfg.log.destinations) out.push(`log_dest ${d.kind === 'file' ? `file ${d.path}` : d.kind}`);
  for (const t of cfg.log.types) out.push(`log_type ${t}`);
  out.push(`log_timestamp ${cfg.log.timestamp}`);
  if (cfg.log.timestampFormat !== undefined) out.push(`log_timestamp_format ${cfg.log.timestampFormat}`);
  out.push(`connection_messages ${cfg.log.connectionMessages}`);
  if (cfg.log.verbose) out.push('# mqx: verbose (-v): every log type');
  if (cfg.log.format !== undefined) out.push(`log_format ${cfg.log.format}`);
  for (const admin of cfg.http?.admins ?? []) out.push(`http_admin ${admin}`);
  for (const l of [...cfg.listeners, ...(cfg.http?.listeners ?? [])])
    listener(out, l, cfg.perListenerSettings);
  for (const b of cfg.bridges) bridge(out, b);
  return `${out.join('\n')}\n`;
}
