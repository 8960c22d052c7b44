// `flotilla start`: opens a member (LevelDB in --data-dir, TCP on
// --listen-peer), serves the HTTP API on --listen-client, logs JSON to stderr,
// and stops cleanly on SIGINT/SIGTERM.
import { isBadInput, isEnvironment } from '@flotilla/errors';
import fs from 'node:fs';
import path from 'node:path';
import { forceNewCluster, type BackupScheduler } from '@flotilla/backup';
import { openNode, type FlotillaNode, type NodeEvents } from '@flotilla/node';
import { checkExposure, InsecureListenError, TransportOptionsError } from '@flotilla/transport';
import { pino, type Logger } from 'pino';
import { MemberDirectory } from '../cluster/directory.js';
import type { RunningHttpServer } from '../http/server.js';
import { loadClientTls } from '../http/tls.js';
import {
  fromEnv,
  fromFile,
  resolveStartConfig,
  SETTINGS,
  testFaultsFromFlags,
  type RawSettings,
  type SettingName,
  type StartConfig,
} from './config.js';
import { CliError, UsageError } from './errors.js';
import { hexId, memberIdOf } from './ids.js';
import { serveMember } from './serve-member.js';
import type { RunningGrpcServer } from '../grpc/server.js';

function flagsToSettings(values: Record<string, string | boolean | undefined>): RawSettings {
  const out: RawSettings = {};
  for (const [setting, flags] of Object.entries(SETTINGS) as [SettingName, readonly string[]][]) {
    for (const flag of flags) {
      const v = values[flag];
      if (typeof v === 'string') out[setting] = v;
      else if (v === true) out[setting] = 'true';
    }
  }
  return out;
}

/** Bytes of LevelDB files in the data directory, re-read at most every 2 s (reported as dbSize). */
function dbSizeReader(dir: string): () => number {
  let cached = 0;
  let readAtMs = -Infinity;
  return () => {
    if (Date.now() - readAtMs < 2_000) return cached;
    readAtMs = Date.now();
    let total = 0;
    const walk = (d: string): void => {
      for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, entry.name);
        if (entry.isDirectory()) walk(p);
        else total += fs.statSync(p).size;
      }
    };
    try {
      walk(dir);
      cached = total;
    } catch {
      // A file vanished mid-walk (LevelDB compaction): keep the last value.
    }
    return cached;
  };
}

/** Names of the founding voters: all of --initial-cluster for a new cluster; --founders for a member joining an existing one. */
function founderNames(config: StartConfig, foundersFlag: string | undefined): string[] {
  if (foundersFlag !== undefined)
    return foundersFlag
      .split(',')
      .map((n) => n.trim())
      .filter((n) => n !== '');
  if (config.initialClusterState === 'existing') {
    throw new UsageError(
      'a member joining an existing cluster needs --founders n1,n2,n3 (the names the cluster was first started with; `flotilla member add` prints the full command)',
    );
  }
  return config.initialCluster.map((m) => m.name);
}

function describeStartError(err: unknown, config: StartConfig): CliError | undefined {
  const e = err as NodeJS.ErrnoException;
  if (e?.code === 'EADDRINUSE')
    return new CliError(
      `address already in use (${e.message.replace(/^listen EADDRINUSE: address already in use /, '')}); another process listens there, choose other --listen-peer/--listen-client ports`,
    );
  if (e?.code === 'EACCES') return new CliError(`permission denied: ${e.message}`);
  // A usage error keeps its own exit code (2): it names a flag, not the data directory.
  if (e instanceof UsageError) return undefined;
  // Bad flags or a data directory that is not as required: the message says what to fix.
  if (isBadInput(e) || isEnvironment(e))
    return new CliError(
      e instanceof InsecureListenError || e instanceof TransportOptionsError
        ? e.message
        : `${e.message} (data dir ${config.dataDir})`,
    );
  return undefined;
}

type NodeFailure = NodeEvents['failed'];

/** Runs a member until SIGINT/SIGTERM; `values` are the flags given, by flag name (`data-dir`). */
export async function cmdStart(
  values: Record<string, string | boolean | undefined>,
  env: NodeJS.ProcessEnv,
  signal: AbortSignal,
): Promise<number> {
  const configFile =
    typeof values['config'] === 'string' ? values['config'] : env['FLOTILLA_CONFIG'];
  const config = resolveStartConfig(
    flagsToSettings(values),
    fromEnv(env),
    configFile ? fromFile(configFile) : {},
  );
  const foundersFlag =
    typeof values['founders'] === 'string' ? values['founders'] : env['FLOTILLA_FOUNDERS'];
  const forceNew = values['force-new-cluster'] === true;
  const testFaults = testFaultsFromFlags(values);
  const nodeThread = values['node-thread'] ?? env['FLOTILLA_NODE_THREAD'] ?? 'worker';
  if (nodeThread !== 'worker' && nodeThread !== 'inline')
    throw new UsageError(
      `--node-thread is worker (the default) or inline, got ${JSON.stringify(nodeThread)}`,
    );
  // Checked before the data directory is opened: a malformed URL is a usage error that touches nothing.
  const grpcUrl = values['listen-client-grpc'] ?? env['FLOTILLA_LISTEN_CLIENT_GRPC'];
  if (typeof grpcUrl === 'string' && grpcUrl !== '')
    (await import('../grpc/serve-grpc.js')).parseGrpcListenUrl(grpcUrl);
  const founders = forceNew ? [config.name] : founderNames(config, foundersFlag);
  const initialVoters = founders.map(memberIdOf);
  const logger: Logger = pino(
    { level: config.logLevel, base: { member: config.name } },
    pino.destination(2),
  );

  const routes = new Map(config.peerRoutes.map((r) => [r.id, r.url] as const));
  const directory = new MemberDirectory(
    config.initialCluster
      .filter((m) => !forceNew || m.id === config.id)
      .map((m) => {
        const client = config.clientUrls.get(m.name);
        return {
          id: m.id,
          name: m.name,
          peerUrls: [m.peerUrl],
          clientUrls: client ? [client] : [],
        };
      }),
    routes,
  );
  // A forced member starts alone: it dials none of the old members (their ids now belong to no cluster it knows).
  // A --peer-route wins over the --initial-cluster URL too, so a route means one thing wherever a peer is learned.
  const peers = new Map(
    config.initialCluster
      .filter((m) => m.id !== config.id && !forceNew)
      .map((m) => {
        const u = new URL(directory.dialUrl(m.id, m.peerUrl));
        return [m.id, { host: u.hostname, port: Number(u.port) }] as const;
      }),
  );

  let node: FlotillaNode | undefined;
  let nodeFailed: NodeFailure | undefined;
  let server: RunningHttpServer | undefined;
  let scheduler: BackupScheduler | undefined;
  let grpc: RunningGrpcServer | undefined;
  try {
    // The client port's exposure (openNode checks the peer port's): a warning without TLS, a refusal with the default token.
    checkExposure({
      clusterId: config.clusterToken,
      listeners: [
        { port: 'client', host: config.listenClient.hostname, tls: config.clientTls !== undefined },
      ],
      logger,
    });
    // A missing or non-PEM client-port file fails the start before the data directory is opened (openNode does the same for the peer files).
    if (config.clientTls !== undefined) loadClientTls(config.clientTls);
    if (forceNew) {
      // Rewrites the data directory into a one-voter cluster (idempotent, so a restart with the flag still set is harmless).
      const forced = await forceNewCluster(config.dataDir, {
        nodeId: config.id,
        clusterId: config.clusterToken,
      });
      logger.warn(
        {
          index: forced.index,
          term: forced.term,
          revision: forced.revision,
          appliedDuringRecovery: forced.appliedDuringRecovery,
          discardedEntries: forced.discardedEntries,
        },
        'forced a new one-member cluster from this data directory; remove --force-new-cluster for later restarts and add members with `flotilla member add`',
      );
    }
    fs.mkdirSync(config.dataDir, { recursive: true });
    node = await openNode({
      id: config.id,
      clusterId: config.clusterToken,
      dataDir: config.dataDir,
      listen: { host: config.listenPeer.hostname, port: Number(config.listenPeer.port) },
      peers,
      initialVoters,
      logger: logger.child({ component: 'transport' }),
      ...(config.peerTls !== undefined ? { peerTls: config.peerTls } : {}),
      ...(config.tickMs !== undefined ? { tickMs: config.tickMs } : {}),
      ...(config.electionTicks !== undefined ? { electionTicks: config.electionTicks } : {}),
      ...(config.heartbeatTicks !== undefined ? { heartbeatTicks: config.heartbeatTicks } : {}),
      ...(config.snapshotEntries !== undefined ? { snapshotEntries: config.snapshotEntries } : {}),
      ...testFaults,
      thread: nodeThread,
    });
    node.on('leaderChanged', (e) =>
      logger.info({ leader: hexId(e.leader), term: e.term, role: e.role }, 'leader changed'),
    );
    // Heard from the moment the node is open, so a node that fails while the servers start is not missed.
    node.on('failed', (e) => (nodeFailed = e));
    ({ server, scheduler } = await serveMember({
      node,
      config,
      directory,
      founders,
      dbSizeBytes: dbSizeReader(config.dataDir),
      logger,
    }));
    // etcd's gRPC API on its own port (src/grpc).
    if (grpcUrl)
      grpc = await (await import('../grpc/serve-grpc.js')).startMemberGrpc(grpcUrl, {
        node,
        directory,
        logger,
        dbSizeBytes: dbSizeReader(config.dataDir),
      });
  } catch (err) {
    scheduler?.stop();
    await grpc?.close();
    await server?.close();
    await node?.close();
    throw describeStartError(err, config) ?? err;
  }
  if (Object.keys(testFaults).length > 0) {
    logger.warn(
      { ...testFaults },
      'TEST ONLY fault injection is on (--test-*); never use these flags in production',
    );
  }
  logger.info(
    {
      id: hexId(config.id),
      peer: config.listenPeer.origin,
      client: server.url,
      peerTls: config.peerTls !== undefined,
      clientTls: config.clientTls !== undefined,
      dataDir: config.dataDir,
      founders,
    },
    'flotilla member started',
  );

  // A node that fails (its worker thread dies, its storage fails) ends the member with a non-zero code, for its
  // supervisor to restart it (requests fail meanwhile; nothing acknowledged is lost: see docs/architecture.md).
  const failure = await new Promise<NodeFailure | undefined>((resolve) => {
    if (nodeFailed !== undefined) resolve(nodeFailed);
    node!.on('failed', resolve);
    if (signal.aborted) resolve(undefined);
    else signal.addEventListener('abort', () => resolve(undefined), { once: true });
  });
  if (failure !== undefined)
    logger.error(
      { reason: failure.reason, category: failure.category },
      'the node failed; stopping with exit code 1 so that a supervisor restarts this member',
    );
  logger.info({}, 'stopping');
  scheduler?.stop();
  await grpc?.close();
  await server.close();
  await node.close();
  logger.info({}, 'stopped');
  return failure === undefined ? 0 : 1;
}
