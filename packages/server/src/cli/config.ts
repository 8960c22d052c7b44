// `flotilla start` configuration: flags > environment (FLOTILLA_*) > a JSON
// file (--config) > defaults. Each setting has one name in each source:
// flag --data-dir, env FLOTILLA_DATA_DIR, file key "dataDir".
import fs from 'node:fs';
import { peerTlsFromFlags, type PeerTlsOptions } from '@flotilla/transport';
import { resolveHttpLimits, type HttpLimits } from '../http/limits.js';
import { clientTlsFromFlags, type ClientTlsOptions } from '../http/tls.js';
import { parseDurationMs } from './duration.js';
import { CliError, UsageError } from './errors.js';
import { memberIdOf } from './ids.js';

export interface ClusterMember {
  readonly name: string;
  readonly id: number;
  readonly peerUrl: string;
}

export interface StartConfig {
  readonly name: string;
  readonly id: number;
  readonly dataDir: string;
  readonly listenPeer: URL;
  readonly listenClient: URL;
  readonly advertiseClient: string;
  readonly initialCluster: readonly ClusterMember[];
  /** Client URLs of the members by name, as far as known (for member list); always includes this member. */
  readonly clientUrls: ReadonlyMap<string, string>;
  readonly initialClusterState: 'new' | 'existing';
  /** Local dial routes (--peer-route): dial member `name` at `url`, whatever peer URL is announced for it. Never replicated. */
  readonly peerRoutes: readonly PeerRoute[];
  readonly clusterToken: string;
  readonly logLevel: string;
  readonly tickMs?: number;
  readonly electionTicks?: number;
  readonly heartbeatTicks?: number;
  readonly snapshotEntries?: number;
  /** Scheduled, verified backups (all three or none): where, how often, how many to keep. */
  readonly backupDir?: string;
  readonly backupIntervalMs?: number;
  readonly backupRetainCount?: number;
  /** HTTPS on the client port (--cert-file, --key-file, --trusted-ca-file, --client-cert-auth); undefined: plain HTTP. */
  readonly clientTls?: ClientTlsOptions;
  /** Mutual TLS between peers (--peer-*), identities mapped by memberIdOf; undefined: plain TCP. */
  readonly peerTls?: PeerTlsOptions;
  /** The client port's overload limits that were given (the rest keep their defaults, see http/limits.ts). */
  readonly httpLimits?: Partial<HttpLimits>;
}

export interface PeerRoute {
  readonly name: string;
  readonly id: number;
  readonly url: string;
}

/** Setting name (file key) → flag (and etcd-style alias). */
export const SETTINGS = {
  name: ['name'],
  dataDir: ['data-dir'],
  listenPeer: ['listen-peer', 'listen-peer-urls'],
  listenClient: ['listen-client', 'listen-client-urls'],
  advertiseClient: ['advertise-client', 'advertise-client-urls'],
  initialCluster: ['initial-cluster'],
  initialClusterClients: ['initial-cluster-clients'],
  initialClusterState: ['initial-cluster-state'],
  peerRoute: ['peer-route'],
  clusterToken: ['cluster-token', 'initial-cluster-token'],
  logLevel: ['log-level'],
  tickMs: ['tick-ms'],
  electionTicks: ['election-ticks'],
  heartbeatTicks: ['heartbeat-ticks'],
  snapshotEntries: ['snapshot-entries'],
  backupDir: ['backup-dir'],
  backupInterval: ['backup-interval'],
  backupRetain: ['backup-retain'],
  certFile: ['cert-file'],
  keyFile: ['key-file'],
  trustedCaFile: ['trusted-ca-file'],
  clientCertAuth: ['client-cert-auth'],
  peerCertFile: ['peer-cert-file'],
  peerKeyFile: ['peer-key-file'],
  peerTrustedCaFile: ['peer-trusted-ca-file'],
  peerClientCertAuth: ['peer-client-cert-auth'],
  peerCertAllowedCn: ['peer-cert-allowed-cn'],
  bodyBytesMax: ['body-bytes-max'],
  inflightBodyBytesMax: ['inflight-body-bytes-max'],
  headersTimeout: ['headers-timeout'],
  requestTimeout: ['request-timeout'],
  connectionsMax: ['connections-max'],
  watchStreamsMax: ['watch-streams-max'],
  watchStreamsPerConnectionMax: ['watch-streams-per-connection-max'],
  watchStreamBufferBytesMax: ['watch-stream-buffer-bytes-max'],
} as const;

/** Settings that are on/off: a flag without a value; "true"/"false" in the environment or the config file. */
export const BOOLEAN_SETTINGS: ReadonlySet<SettingName> = new Set([
  'clientCertAuth',
  'peerClientCertAuth',
]);

export type SettingName = keyof typeof SETTINGS;
export type RawSettings = Partial<Record<SettingName, string>>;

export function envName(setting: SettingName): string {
  return `FLOTILLA_${setting.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}

export function fromEnv(env: NodeJS.ProcessEnv): RawSettings {
  const out: RawSettings = {};
  for (const setting of Object.keys(SETTINGS) as SettingName[]) {
    const value = env[envName(setting)];
    if (value !== undefined && value !== '') out[setting] = value;
  }
  return out;
}

export function fromFile(path: string): RawSettings {
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(path, 'utf8'));
  } catch (err) {
    throw new CliError(`cannot read config file ${path}: ${(err as Error).message}`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw new CliError(`config file ${path} must hold a JSON object`);
  const out: RawSettings = {};
  for (const [key, value] of Object.entries(json)) {
    if (!(key in SETTINGS))
      throw new CliError(
        `config file ${path}: unknown setting "${key}"; known: ${Object.keys(SETTINGS).join(', ')}`,
      );
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean')
      throw new CliError(`config file ${path}: "${key}" must be a string, number or boolean`);
    out[key as SettingName] = String(value);
  }
  return out;
}

function url(text: string, what: string): URL {
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    throw new UsageError(
      `${what} must be a URL like http://127.0.0.1:2380, got ${JSON.stringify(text)}`,
    );
  }
  if ((u.protocol !== 'http:' && u.protocol !== 'https:') || !u.port)
    throw new UsageError(
      `${what} must be an http:// or https:// URL with a port, got ${JSON.stringify(text)}`,
    );
  return u;
}

/** The overload limits given as settings (durations for the two timeouts, positive integers for the rest). */
function httpLimitSettings(raw: RawSettings): Partial<HttpLimits> | undefined {
  const duration = (text: string | undefined, flag: string): number | undefined =>
    text === undefined ? undefined : parseDurationMs(text, flag);
  const limits: Partial<Record<keyof HttpLimits, number | undefined>> = {
    bodyBytesMax: positiveInt(raw.bodyBytesMax, '--body-bytes-max'),
    inflightBodyBytesMax: positiveInt(raw.inflightBodyBytesMax, '--inflight-body-bytes-max'),
    headersTimeoutMs: duration(raw.headersTimeout, '--headers-timeout'),
    requestTimeoutMs: duration(raw.requestTimeout, '--request-timeout'),
    connectionsMax: positiveInt(raw.connectionsMax, '--connections-max'),
    watchStreamsMax: positiveInt(raw.watchStreamsMax, '--watch-streams-max'),
    watchStreamsPerConnectionMax: positiveInt(
      raw.watchStreamsPerConnectionMax,
      '--watch-streams-per-connection-max',
    ),
    watchStreamBufferBytesMax: positiveInt(
      raw.watchStreamBufferBytesMax,
      '--watch-stream-buffer-bytes-max',
    ),
  };
  const given = Object.fromEntries(
    Object.entries(limits).filter(([, v]) => v !== undefined),
  ) as Partial<HttpLimits>;
  if (Object.keys(given).length === 0) return undefined;
  try {
    resolveHttpLimits(given); // the limits must also agree with each other (and the defaults of those not given)
  } catch (err) {
    throw new UsageError(`client port limits: ${(err as Error).message}`);
  }
  return given;
}

function positiveInt(text: string | undefined, what: string): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) <= 0)
    throw new UsageError(`${what} must be a positive integer, got ${JSON.stringify(text)}`);
  return Number(text);
}

/**
 * Splits a `name=URL,name=URL` flag value (the three cluster flags share the form) into names and URL
 * origins; `form` says what an entry should look like in the error for a malformed one.
 */
function namedUrls(
  text: string,
  flag: string,
  form: string,
  urlWhat = 'URL',
): { name: string; url: string }[] {
  return text
    .split(',')
    .filter((p) => p.trim() !== '')
    .map((part) => {
      const eq = part.indexOf('=');
      const name = eq > 0 ? part.slice(0, eq).trim() : '';
      if (name === '')
        throw new UsageError(`${flag} entries are ${form}, got ${JSON.stringify(part)}`);
      return { name, url: url(part.slice(eq + 1).trim(), `${flag} ${urlWhat} of ${name}`).origin };
    });
}

/** Parses `n1=http://127.0.0.1:2380,n2=...`; member ids derive from names. */
export function parseInitialCluster(text: string): ClusterMember[] {
  const members = namedUrls(text, '--initial-cluster', 'name=peerURL', 'peer URL').map(
    ({ name, url: peerUrl }) => ({ name, id: memberIdOf(name), peerUrl }),
  );
  const seen = new Map<number, string>();
  for (const m of members) {
    const other = seen.get(m.id);
    if (other !== undefined) {
      throw new UsageError(
        other === m.name
          ? `--initial-cluster names ${m.name} twice`
          : `member names ${other} and ${m.name} hash to the same id; rename one`,
      );
    }
    seen.set(m.id, m.name);
  }
  return members;
}

/** Parses `n1=http://127.0.0.1:2379,...`: where each member serves clients (Flotilla's addition to etcd's flags). */
export function parseClientUrls(
  text: string,
  members: readonly ClusterMember[],
): Map<string, string> {
  const form = 'name=clientURL for names in --initial-cluster';
  const out = new Map<string, string>();
  for (const { name, url: clientUrl } of namedUrls(text, '--initial-cluster-clients', form)) {
    if (!members.some((m) => m.name === name))
      throw new UsageError(
        `--initial-cluster-clients entries are ${form}, got ${JSON.stringify(`${name}=${clientUrl}`)}`,
      );
    out.set(name, clientUrl);
  }
  return out;
}

/**
 * Parses `n2=http://127.0.0.1:7002,n3=...` (--peer-route): where THIS member dials each named member,
 * instead of the peer URL announced for it (its --initial-cluster entry, or `member add`'s peer URL).
 * For proxies and NAT; the fault suite routes every link through its own proxy this way.
 */
export function parsePeerRoutes(text: string, self: string): PeerRoute[] {
  const routes: PeerRoute[] = [];
  for (const { name, url: routeUrl } of namedUrls(
    text,
    '--peer-route',
    'NAME=URL (dial member NAME at URL)',
  )) {
    if (name === self)
      throw new UsageError(
        `--peer-route names this member (${self}); a member never dials itself, remove that entry`,
      );
    if (routes.some((r) => r.name === name))
      throw new UsageError(`--peer-route names ${name} twice; give one URL per member`);
    routes.push({ name, id: memberIdOf(name), url: routeUrl });
  }
  return routes;
}

/** --backup-dir and --backup-interval (ms) go together; --backup-retain defaults to 8 files. */
function backupSettings(raw: RawSettings): {
  backupDir?: string;
  backupIntervalMs?: number;
  backupRetainCount?: number;
} {
  const intervalMs = positiveInt(raw.backupInterval, '--backup-interval');
  const retain = positiveInt(raw.backupRetain, '--backup-retain');
  if (raw.backupDir === undefined && intervalMs === undefined && retain === undefined) return {};
  if (raw.backupDir === undefined || intervalMs === undefined) {
    throw new UsageError(
      'scheduled backups need both --backup-dir DIR and --backup-interval MS (e.g. 900000 for every 15 minutes); --backup-retain N is optional (default 8)',
    );
  }
  return { backupDir: raw.backupDir, backupIntervalMs: intervalMs, backupRetainCount: retain ?? 8 };
}

/**
 * TEST ONLY fault injection for the Jepsen-style suite (its clock and slow-disk
 * nemeses). These are flags only, never environment or file settings: a
 * forgotten FLOTILLA_* variable or config key must not skew a production clock.
 */
export const TEST_FAULT_FLAGS = [
  'test-clock-rate',
  'test-clock-offset-ms',
  'test-fsync-delay-ms',
  'test-worker-exit-after-ms',
  'test-fail-writes-after-ms',
] as const;

export interface TestFaults {
  /** The node's clock runs at `rate` times real time, shifted by `offsetMs`. */
  readonly testClockSkew?: { readonly rate: number; readonly offsetMs: number };
  /** Wait this long after every synced write. */
  readonly testFsyncDelayMs?: number;
  /** The node's worker thread ends itself (exit code 70) this long after the node opened. */
  readonly testWorkerExitAfterMs?: number;
  /** Every Raft log write fails (EIO) from this long after the node opened. */
  readonly testFailWritesAfterMs?: number;
}

function finiteNumber(text: string, what: string): number {
  const n = /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : NaN;
  if (!Number.isFinite(n))
    throw new UsageError(
      `${what} must be a decimal number, got ${JSON.stringify(text)} (a negative value is written --flag=-500)`,
    );
  return n;
}

/** Reads the TEST ONLY flags; {} when none is given (the production path). */
export function testFaultsFromFlags(
  values: Readonly<Record<string, string | boolean | undefined>>,
): TestFaults {
  const text = (flag: (typeof TEST_FAULT_FLAGS)[number]): string | undefined => {
    const v = values[flag];
    return typeof v === 'string' ? v : undefined;
  };
  const rateText = text('test-clock-rate');
  const offsetText = text('test-clock-offset-ms');
  const delayText = text('test-fsync-delay-ms');
  const exitText = text('test-worker-exit-after-ms');
  const failText = text('test-fail-writes-after-ms');
  const out: {
    testClockSkew?: { rate: number; offsetMs: number };
    testFsyncDelayMs?: number;
    testWorkerExitAfterMs?: number;
    testFailWritesAfterMs?: number;
  } = {};
  if (rateText !== undefined || offsetText !== undefined) {
    const rate = rateText === undefined ? 1 : finiteNumber(rateText, '--test-clock-rate');
    if (!(rate > 0))
      throw new UsageError(
        `--test-clock-rate must be > 0 (1 = real time), got ${JSON.stringify(rateText)}`,
      );
    out.testClockSkew = {
      rate,
      offsetMs: offsetText === undefined ? 0 : finiteNumber(offsetText, '--test-clock-offset-ms'),
    };
  }
  if (delayText !== undefined) {
    if (!/^\d+$/.test(delayText))
      throw new UsageError(
        `--test-fsync-delay-ms must be a non-negative integer of ms, got ${JSON.stringify(delayText)}`,
      );
    out.testFsyncDelayMs = Number(delayText);
  }
  if (exitText !== undefined) {
    if (!/^\d+$/.test(exitText))
      throw new UsageError(
        `--test-worker-exit-after-ms must be a non-negative integer of ms, got ${JSON.stringify(exitText)}`,
      );
    out.testWorkerExitAfterMs = Number(exitText);
  }
  if (failText !== undefined) {
    if (!/^\d+$/.test(failText))
      throw new UsageError(
        `--test-fail-writes-after-ms must be a non-negative integer of ms, got ${JSON.stringify(failText)}`,
      );
    out.testFailWritesAfterMs = Number(failText);
  }
  return out;
}

function boolSetting(text: string | undefined, what: string): boolean | undefined {
  if (text === undefined) return undefined;
  if (text === 'true' || text === '1') return true;
  if (text === 'false' || text === '0') return false;
  throw new UsageError(
    `${what} is on or off: give the flag alone, or true/false in the environment or config file; got ${JSON.stringify(text)}`,
  );
}

/** A TLS flag set that cannot work is bad usage (exit 2), with the message naming the missing flags. */
function usage<T>(build: () => T): T {
  try {
    return build();
  } catch (err) {
    if (err instanceof Error && err.name === 'TransportOptionsError')
      throw new UsageError(err.message);
    throw err;
  }
}

/**
 * The TLS options, and a check that the URLs say what the flags do, as etcd
 * users write them: https:// for a port with TLS, http:// for one without.
 */
function tlsSettings(
  raw: RawSettings,
  listenClient: URL,
  listenPeer: URL,
  initialCluster: readonly ClusterMember[],
): { clientTls?: ClientTlsOptions; peerTls?: PeerTlsOptions } {
  const clientTls = usage(() =>
    clientTlsFromFlags({
      certFile: raw.certFile,
      keyFile: raw.keyFile,
      trustedCaFile: raw.trustedCaFile,
      clientCertAuth: boolSetting(raw.clientCertAuth, '--client-cert-auth'),
    }),
  );
  const peerTls = usage(() =>
    peerTlsFromFlags(
      {
        peerCertFile: raw.peerCertFile,
        peerKeyFile: raw.peerKeyFile,
        peerTrustedCaFile: raw.peerTrustedCaFile,
        peerClientCertAuth: boolSetting(raw.peerClientCertAuth, '--peer-client-cert-auth'),
        peerCertAllowedCn: raw.peerCertAllowedCn,
      },
      memberIdOf,
    ),
  );
  if (clientTls?.clientCertAuth === true && clientTls.trustedCaFile === undefined) {
    throw new UsageError(
      '--client-cert-auth needs --trusted-ca-file: the CA that client certificates must chain to',
    );
  }
  const clientScheme = clientTls ? 'https:' : 'http:';
  if (listenClient.protocol !== clientScheme) {
    throw new UsageError(
      clientTls
        ? `--listen-client ${listenClient.origin} is http:// but --cert-file/--key-file turn on TLS there; write it https://`
        : `--listen-client ${listenClient.origin} is https:// but the client port has no TLS; give --cert-file and --key-file (docs/security.md)`,
    );
  }
  const peerScheme = peerTls ? 'https:' : 'http:';
  for (const [what, u] of [
    ['--listen-peer', listenPeer.origin],
    ...initialCluster.map((m) => [`--initial-cluster entry ${m.name}`, m.peerUrl]),
  ] as const) {
    if (new URL(u).protocol === peerScheme) continue;
    throw new UsageError(
      peerTls
        ? `${what} ${u} is http:// but --peer-cert-file/--peer-key-file/--peer-trusted-ca-file turn on peer TLS; write every peer URL https://`
        : `${what} ${u} is https:// but peers have no TLS; give --peer-cert-file, --peer-key-file, --peer-trusted-ca-file and --peer-client-cert-auth (docs/security.md)`,
    );
  }
  return { ...(clientTls ? { clientTls } : {}), ...(peerTls ? { peerTls } : {}) };
}

/** Merges the sources (flags win, then env, then file) and validates the result. */
export function resolveStartConfig(
  flags: RawSettings,
  env: RawSettings,
  file: RawSettings,
): StartConfig {
  const raw: RawSettings = { ...file, ...env, ...flags };
  const name = raw.name ?? 'default';
  const listenPeerText = raw.listenPeer;
  const peerScheme =
    raw.peerCertFile !== undefined ||
    raw.peerKeyFile !== undefined ||
    raw.peerTrustedCaFile !== undefined
      ? 'https'
      : 'http';
  const initialCluster = parseInitialCluster(
    raw.initialCluster ?? `${name}=${listenPeerText ?? `${peerScheme}://127.0.0.1:2380`}`,
  );
  const self = initialCluster.find((m) => m.name === name);
  if (!self)
    throw new UsageError(
      `--name ${name} is not in --initial-cluster (${initialCluster.map((m) => m.name).join(', ')}); add it as ${name}=<peer URL>`,
    );
  const listenPeer = url(listenPeerText ?? self.peerUrl, '--listen-peer');
  if (listenPeer.port !== new URL(self.peerUrl).port) {
    throw new UsageError(
      `--listen-peer port ${listenPeer.port} differs from ${name}'s entry in --initial-cluster (${self.peerUrl}); peers would dial the wrong port`,
    );
  }
  // With TLS flags, the default client URL is https (a TLS port is never plain by accident).
  const listenClient = url(
    raw.listenClient ??
      (raw.certFile !== undefined || raw.keyFile !== undefined
        ? 'https://127.0.0.1:2379'
        : 'http://127.0.0.1:2379'),
    '--listen-client',
  );
  const state = raw.initialClusterState ?? 'new';
  if (state !== 'new' && state !== 'existing')
    throw new UsageError(
      `--initial-cluster-state must be new or existing, got ${JSON.stringify(state)}`,
    );
  const level = raw.logLevel ?? 'info';
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(level)) {
    throw new UsageError(
      `--log-level must be one of fatal, error, warn, info, debug, trace, silent; got ${JSON.stringify(level)}`,
    );
  }
  const clientUrls = parseClientUrls(raw.initialClusterClients ?? '', initialCluster);
  const advertiseClient = raw.advertiseClient ?? listenClient.origin;
  clientUrls.set(name, advertiseClient);
  const config: StartConfig = {
    name,
    id: self.id,
    dataDir: raw.dataDir ?? `${name}.flotilla`,
    listenPeer,
    listenClient,
    advertiseClient,
    initialCluster,
    clientUrls,
    initialClusterState: state,
    peerRoutes: parsePeerRoutes(raw.peerRoute ?? '', name),
    clusterToken: raw.clusterToken ?? 'flotilla',
    logLevel: level,
  };
  const optional = {
    tickMs: positiveInt(raw.tickMs, '--tick-ms'),
    electionTicks: positiveInt(raw.electionTicks, '--election-ticks'),
    heartbeatTicks: positiveInt(raw.heartbeatTicks, '--heartbeat-ticks'),
    snapshotEntries: positiveInt(raw.snapshotEntries, '--snapshot-entries'),
    ...backupSettings(raw),
    ...tlsSettings(raw, listenClient, listenPeer, initialCluster),
    httpLimits: httpLimitSettings(raw),
  };
  return Object.assign(
    config,
    Object.fromEntries(Object.entries(optional).filter(([, v]) => v !== undefined)),
  );
}
