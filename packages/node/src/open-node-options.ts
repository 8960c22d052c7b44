// openNode's options, in a module of their own so that the worker-thread
// modules (which take them) and open-node.ts (which picks the thread) do not
// import each other.
import type { NodeId } from '@flotilla/raft';
import type { Logger, PeerAddress, PeerTlsOptions, TcpTransportOptions } from '@flotilla/transport';
import type { NodeOptions } from './options.js';
import type { ClockSkew } from './skewed-clock.js';

export interface OpenNodeOptions extends NodeOptions {
  readonly id: NodeId;
  /** Default 'flotilla'. Every member of one cluster uses the same id; another cluster's nodes are refused. */
  readonly clusterId?: string;
  /** The member's data directory (LevelDB and snapshot files). */
  readonly dataDir: string;
  /** Where this node accepts peer connections; port 0 picks a free one (see node.listenAddress). */
  readonly listen: PeerAddress;
  /** The other members' addresses. */
  readonly peers: Readonly<Record<number, PeerAddress>> | ReadonlyMap<NodeId, PeerAddress>;
  /** Founding voters, needed on a new data directory. Default: this node and every peer. A joining member must pass the founders. */
  readonly initialVoters?: readonly NodeId[];
  /** More TCP options (frame and queue limits, reconnect back-off). */
  readonly tcp?: Omit<
    TcpTransportOptions,
    'id' | 'clusterId' | 'listen' | 'peers' | 'logger' | 'tls'
  >;
  /**
   * Mutual TLS between members (the CLI's --peer-cert-file, --peer-key-file,
   * --peer-trusted-ca-file, --peer-client-cert-auth, --peer-cert-allowed-cn).
   * A member's certificate must name it: SAN URI urn:flotilla:member:<id> or CN <id>
   * (or pass memberIdOf for names); see docs/security.md.
   */
  readonly peerTls?: PeerTlsOptions;
  readonly logger?: Logger;
  /** Seed for the Raft core's election timeouts; random by default. */
  readonly seed?: number;
  /**
   * TEST ONLY (the fault suite's clock nemesis): run this node's clock at
   * `rate` times real time, shifted by `offsetMs`. Never set in production.
   */
  readonly testClockSkew?: ClockSkew;
  /** TEST ONLY (the fault suite's slow-disk nemesis): wait this long after every synced write. */
  readonly testFsyncDelayMs?: number;
  /**
   * Where the node runs. `'worker'` (default): in a worker thread of its own;
   * this object is a proxy that forwards each call, so a host event loop
   * blocked for any length of time delays only its own calls, never
   * heartbeats, elections, log writes or applies. `'inline'`: in the caller's
   * event loop (what createNode does), sharing it with the host.
   */
  readonly thread?: 'worker' | 'inline';
  /**
   * TEST ONLY (worker-exit tests): the node's worker thread ends itself with
   * exit code 70 this long after the node opened. Never set in production.
   */
  readonly testWorkerExitAfterMs?: number;
  /**
   * TEST ONLY (storage-failure tests): every Raft log write fails with an EIO
   * error from this long after the node opened, as a failing disk would; the
   * node then stops itself and fires 'failed'. Never set in production.
   */
  readonly testFailWritesAfterMs?: number;
}
