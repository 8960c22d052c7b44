// What the suite needs of a cluster under test, whatever runs it (Flotilla's
// `flotilla start` processes or etcd's), so workloads and nemeses are shared.
import type { KV } from '@flotilla/client';
import type { Network } from './network.js';

export type TargetKind = 'flotilla' | 'etcd';

/**
 * How the workloads reach the cluster: `http`, the JSON API through
 * `remoteKv` (Flotilla's own path); `grpc`, etcd's v3 gRPC API through the
 * `etcd3` npm client (`etcdKv`, etcd's own path). Each target speaks both, so
 * `--client grpc` runs Flotilla and etcd through the same client code.
 */
export type ClientKind = 'http' | 'grpc';

/** What each target's clients speak unless `--client` says otherwise. */
export function defaultClient(target: TargetKind): ClientKind {
  return target === 'etcd' ? 'grpc' : 'http';
}

export interface ClientOptions {
  /** Deadline of one request; a write that misses it is recorded as unknown. */
  readonly requestTimeoutMs: number;
  /** No login even when auth is on (status() needs none): the health polls, which would otherwise log in on every poll. */
  readonly anonymous?: boolean;
  /**
   * Every linearizable range of this client is a lease read. Over HTTP each call says so itself
   * (`consistency: 'lease'` becomes a header); etcd3's calls carry no such option, so over gRPC
   * the client adds `x-flotilla-read-consistency: lease` metadata to its Range calls (Flotilla only;
   * etcd has no lease reads and serves them linearizably).
   */
  readonly leaseReads?: boolean;
}

export interface Target {
  readonly kind: TargetKind;
  /** The protocol of every client this target makes (workloads and health polls). */
  readonly clientKind: ClientKind;
  readonly size: number;
  readonly network: Network;
  /** Human names of the nodes, by index. */
  readonly names: readonly string[];
  /** A client pinned to one node (no discovery, no failover), so partitions matter. */
  client(node: number, options: ClientOptions): KV;
  /** Starts the node if it is not running; `testArgs` are TEST ONLY start flags (restart faults), Flotilla only. */
  start(node: number, testArgs?: readonly string[]): void;
  /** Sends the signal; for SIGKILL/SIGTERM waits until the process is gone. */
  signal(node: number, signal: NodeJS.Signals): Promise<void>;
  isRunning(node: number): boolean;
  /** Member id (as the client backend's status() reports it) → node index. */
  readonly memberIndex: Map<string, number>;
  /** Where the process logs go (for the report). */
  logFile(node: number): string;
  close(): Promise<void>;
}
