// The systems under test, each 3 members on loopback with fsync on,
// reached through a Node client path:
//
//   flotilla-embedded  member n1 runs IN this process (openNode, also served
//                      over HTTP for watches and status), n2 and n3 are
//                      `flotilla start` child processes; the client is
//                      embeddedKv(n1) and n1 is made the leader. This is what an
//                      embedding service gets: its own process holds a node.
//   flotilla           3 `flotilla start` child processes; remoteKv (HTTP).
//   flotilla-grpc      the same 3 processes, driven exactly as etcd is: etcdKv
//                      (the etcd3 client over etcd's v3 gRPC API, which every
//                      Flotilla client port serves), so Flotilla and etcd are
//                      measured through the same client code.
//   etcd               3 etcd 3.4 processes (startEtcdCluster); etcdKv (etcd3, gRPC).
import fs from 'node:fs';
import path from 'node:path';
import { embeddedKv, remoteKv, type KV } from '@flotilla/client';
import { etcdKv } from '@flotilla/client/etcd';
import { openNode, type FlotillaNode, type NodeOptions } from '@flotilla/node';
import { startEtcdCluster, type EtcdCluster } from '@flotilla/testkit';
import type { TcpTransportOptions } from '@flotilla/transport';
// packages/server is not a dependency of the benchmarks package (no install is possible here): imported by path.
import { MemberDirectory, memberIdOf, serveNode, type RunningHttpServer } from '@flotilla/server';
import { ProcessCluster } from '@flotilla/server/process-cluster';
import {
  agreedLeader,
  ClusterNotReadyError,
  transferLeadership,
  waitHealthy,
} from './cluster-status.js';
import type { TargetName } from './flags.js';

/** Election settings: the systems' defaults, or a tuned setting for faster failover. */
export type ElectionSetting = 'default' | 'tuned';

/** Flotilla tuned: 5 ms ticks, election 100–200 ms, heartbeat 10 ms. */
export const FLOTILLA_TUNED = { tickMs: 5, electionTicks: 20, heartbeatTicks: 2 } as const;
/** etcd tuned: heartbeat 20 ms, election 200 ms (etcd's defaults: 100 / 1,000). */
export const ETCD_TUNED = { heartbeatMs: 20, electionMs: 200 } as const;

export interface TargetOptions {
  readonly name: TargetName;
  readonly baseDir: string;
  readonly election?: ElectionSetting;
  /** Node options of the in-process member (flotilla-embedded only; used by the ablations). */
  readonly nodeOptions?: NodeOptions;
  readonly tcp?: Omit<TcpTransportOptions, 'id' | 'clusterId' | 'listen' | 'peers' | 'logger'>;
  /** Writes a client may have in flight (Flotilla clients bound them; one bench client each). */
  readonly writesInFlightMax?: number;
  /** The `flotilla` bin the child members run (default: packages/server's). */
  readonly bin?: string;
}

export interface BenchTarget {
  readonly name: TargetName;
  readonly election: ElectionSetting;
  /** The normal client path, connected to the whole cluster. */
  readonly kv: KV;
  /** Client URLs of the members (etcd v3 JSON gateway on every target). */
  readonly urls: readonly string[];
  /** A client bound to member i only (watches and reads on one member). */
  memberKv(i: number): KV;
  /**
   * A new client of the whole cluster that sends to member i first, as an
   * application configured with every endpoint and a nearby member. The
   * caller closes it. (etcd3 picks one of the listed hosts at random per call.)
   */
  clientVia(i: number): KV;
  /** Index of the member every member agrees leads. */
  leaderIndex(timeoutMs?: number): Promise<number>;
  /** May member i be SIGKILLed (false for the member inside this process)? */
  killable(i: number): boolean;
  /** SIGKILLs member i and waits for the process to be gone. */
  kill(i: number): Promise<void>;
  /** Starts member i again and waits until it answers. */
  restart(i: number): Promise<void>;
  /** Process ids of the members (this process for the in-process one). */
  pids(): (number | undefined)[];
  /** The in-process node (flotilla-embedded only). */
  readonly node?: FlotillaNode;
  close(): Promise<void>;
}

/** Member i's URL first, then the others (for a client that prefers member i). */
function viaMember(urls: readonly string[], i: number): string[] {
  const url = urls[i];
  if (url === undefined) throw new RangeError(`no member ${i}`);
  return [url, ...urls.filter((_, j) => j !== i)];
}

/** A Flotilla remote client that prefers member i and moves on only when it fails. */
function flotillaVia(urls: readonly string[]) {
  return (i: number): KV =>
    remoteKv({ endpoints: viaMember(urls, i), discover: false, exactlyOnce: true });
}

function killableMember(urls: readonly string[], pinned: KV[]) {
  return (i: number): KV => {
    const url = urls[i];
    if (url === undefined) throw new RangeError(`no member ${i}`);
    return (
      pinned[i] ?? (pinned[i] = remoteKv({ endpoints: [url], discover: false, exactlyOnce: true }))
    );
  };
}

/** The clients of a `flotilla start` cluster: remoteKv over HTTP (flotilla), or etcd's own client path (flotilla-grpc). */
interface ClusterClients {
  kv: KV;
  memberKv(i: number): KV;
  clientVia(i: number): KV;
  pinned: KV[];
}

function httpClients(o: TargetOptions, urls: readonly string[], ordered: string[]): ClusterClients {
  const pinned: KV[] = [];
  return {
    kv: remoteKv({
      endpoints: ordered,
      exactlyOnce: true,
      writesInFlightMax: o.writesInFlightMax ?? 1024,
    }),
    memberKv: killableMember(urls, pinned),
    clientVia: flotillaVia(urls),
    pinned,
  };
}

/** etcdKv as the etcd target makes it (startEtcd below): default retries, one client per member for watches. */
function etcdClients(urls: readonly string[], ordered: string[]): ClusterClients {
  const pinned: KV[] = [];
  return {
    kv: etcdKv({ endpoints: ordered }),
    memberKv: (i) => {
      const url = urls[i];
      if (url === undefined) throw new RangeError(`no member ${i}`);
      return pinned[i] ?? (pinned[i] = etcdKv({ endpoints: [url] }));
    },
    clientVia: (i) => etcdKv({ endpoints: viaMember(urls, i) }),
    pinned,
  };
}

async function startFlotillaProcesses(o: TargetOptions): Promise<BenchTarget> {
  const extraArgs =
    o.election === 'tuned'
      ? [
          '--tick-ms',
          String(FLOTILLA_TUNED.tickMs),
          '--election-ticks',
          String(FLOTILLA_TUNED.electionTicks),
          '--heartbeat-ticks',
          String(FLOTILLA_TUNED.heartbeatTicks),
        ]
      : [];
  const cluster = await ProcessCluster.create({
    baseDir: o.baseDir,
    extraArgs,
    ...(o.bin ? { bin: o.bin } : {}),
  });
  cluster.startAll();
  const urls = cluster.endpoints;
  try {
    await Promise.all(urls.map((u) => waitHealthy(u)));
    const leader = await agreedLeader(urls);
    // Leader first: the client's first attempt goes where the write is decided.
    const ordered = [urls[leader]!, ...urls.filter((_, i) => i !== leader)];
    const { kv, memberKv, clientVia, pinned } =
      o.name === 'flotilla-grpc' ? etcdClients(urls, ordered) : httpClients(o, urls, ordered);
    return {
      name: o.name,
      election: o.election ?? 'default',
      kv,
      urls,
      memberKv,
      clientVia,
      leaderIndex: (t) => agreedLeader(urls, t),
      killable: () => true,
      kill: (i) => cluster.kill(cluster.members[i]!.name, 'SIGKILL'),
      async restart(i) {
        cluster.start(cluster.members[i]!.name);
        await waitHealthy(urls[i]!);
      },
      pids: () => cluster.members.map((m) => m.child?.pid),
      async close() {
        await Promise.all([kv, ...pinned].map((k) => k?.close()));
        await cluster.close();
      },
    };
  } catch (err) {
    await cluster.close();
    throw err;
  }
}

async function startFlotillaEmbedded(o: TargetOptions): Promise<BenchTarget> {
  const tuned = o.election === 'tuned';
  const extraArgs = tuned
    ? [
        '--tick-ms',
        String(FLOTILLA_TUNED.tickMs),
        '--election-ticks',
        String(FLOTILLA_TUNED.electionTicks),
        '--heartbeat-ticks',
        String(FLOTILLA_TUNED.heartbeatTicks),
      ]
    : [];
  const cluster = await ProcessCluster.create({
    baseDir: o.baseDir,
    extraArgs,
    ...(o.bin ? { bin: o.bin } : {}),
  });
  const [self, ...others] = cluster.members;
  const ids = cluster.members.map((m) => memberIdOf(m.name));
  const port = (url: string): number => Number(new URL(url).port);
  const directory = new MemberDirectory(
    cluster.members.map((m, i) => ({
      id: ids[i]!,
      name: m.name,
      peerUrls: [m.peerUrl],
      clientUrls: [m.clientUrl],
    })),
  );
  fs.mkdirSync(self!.dataDir, { recursive: true });
  const node = await openNode({
    ...o.nodeOptions,
    ...(tuned ? FLOTILLA_TUNED : {}),
    id: ids[0]!,
    clusterId: 'flotilla', // `flotilla start`'s default cluster token
    dataDir: self!.dataDir,
    listen: { host: '127.0.0.1', port: port(self!.peerUrl) },
    peers: new Map(
      others.map((m, i) => [ids[i + 1]!, { host: '127.0.0.1', port: port(m.peerUrl) }] as const),
    ),
    initialVoters: ids,
    ...(o.tcp ? { tcp: o.tcp } : {}),
  });
  let server: RunningHttpServer | undefined;
  try {
    server = await serveNode({ node, directory, host: '127.0.0.1', port: port(self!.clientUrl) });
    for (const m of others) cluster.start(m.name);
    const urls = cluster.endpoints;
    await Promise.all(urls.map((u) => waitHealthy(u)));
    const leader = await agreedLeader(urls);
    if (leader !== 0) await transferLeadership(urls, urls[leader]!, String(ids[0]));
    const kv = embeddedKv(node, { writesInFlightMax: o.writesInFlightMax ?? 1024 });
    // Member 0 is watched over HTTP like the others, so every member's events take the same path.
    const pinned: KV[] = [];
    const srv = server;
    return {
      name: 'flotilla-embedded',
      election: o.election ?? 'default',
      kv,
      urls,
      node,
      memberKv: killableMember(urls, pinned),
      clientVia: flotillaVia(urls),
      leaderIndex: (t) => agreedLeader(urls, t),
      killable: (i) => i !== 0,
      async kill(i) {
        if (i === 0)
          throw new RangeError('the embedded member runs in this process and cannot be SIGKILLed');
        await cluster.kill(cluster.members[i]!.name, 'SIGKILL');
      },
      async restart(i) {
        if (i === 0) throw new RangeError('the embedded member is never killed');
        cluster.start(cluster.members[i]!.name);
        await waitHealthy(urls[i]!);
      },
      pids: () => cluster.members.map((m, i) => (i === 0 ? process.pid : m.child?.pid)),
      async close() {
        await Promise.all([kv, ...pinned].map((k) => k?.close()));
        await cluster.close();
        await srv.close();
        await node.close();
      },
    };
  } catch (err) {
    await cluster.close();
    await server?.close();
    await node.close();
    throw err;
  }
}

async function startEtcd(o: TargetOptions): Promise<BenchTarget> {
  const cluster: EtcdCluster = await startEtcdCluster({
    baseDir: o.baseDir,
    ...(o.election === 'tuned' ? ETCD_TUNED : {}),
  });
  const urls = cluster.endpoints;
  try {
    const leader = await agreedLeader(urls);
    const ordered = [urls[leader]!, ...urls.filter((_, i) => i !== leader)];
    const { kv, memberKv, clientVia, pinned } = etcdClients(urls, ordered);
    return {
      name: 'etcd',
      election: o.election ?? 'default',
      kv,
      urls,
      memberKv,
      clientVia,
      leaderIndex: (t) => agreedLeader(urls, t),
      killable: () => true,
      async kill(i) {
        const child = cluster.members[i]?.process;
        if (!child) return;
        const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        cluster.kill(i, 'SIGKILL');
        await gone;
      },
      async restart(i) {
        cluster.start(i);
        await waitHealthy(urls[i]!);
      },
      pids: () => cluster.members.map((m) => m.process?.pid),
      async close() {
        await Promise.all([kv, ...pinned].map((k) => k?.close()));
        await cluster.stop();
      },
    };
  } catch (err) {
    await cluster.stop();
    throw err;
  }
}

/** Starts a fresh cluster of `o.name` in a new directory under `o.baseDir`. */
/** Attempts at starting a cluster: a member can lose its port to another process between choosing it and binding it. */
const START_ATTEMPTS = 3;

export async function startTarget(o: TargetOptions): Promise<BenchTarget> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startTargetOnce(o);
    } catch (err) {
      // Each start function closes what it started before rethrowing, so a retry starts clean.
      if (!(err instanceof ClusterNotReadyError) || attempt >= START_ATTEMPTS) throw err;
      console.error(
        `           ${o.name}: cluster did not come up (${err.message}); starting it again (${attempt + 1}/${START_ATTEMPTS})`,
      );
    }
  }
}

async function startTargetOnce(o: TargetOptions): Promise<BenchTarget> {
  fs.mkdirSync(o.baseDir, { recursive: true });
  const dir = fs.mkdtempSync(path.join(o.baseDir, `${o.name}-`));
  const opts = { ...o, baseDir: dir };
  switch (o.name) {
    case 'flotilla-embedded':
      return startFlotillaEmbedded(opts);
    case 'flotilla':
    case 'flotilla-grpc':
      return startFlotillaProcesses(opts);
    case 'etcd':
      return startEtcd(opts);
    default: {
      const never: never = o.name;
      throw new RangeError(`unknown target ${String(never)}`);
    }
  }
}
