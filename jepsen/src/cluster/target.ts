// What the suite needs of a cluster under test, whatever runs it (Flotilla's
// `flotilla start` processes or etcd's), so workloads and nemeses are shared.
import type { KV } from '@flotilla/client';
import type { Network } from './network.js';

export type TargetKind = 'flotilla' | 'etcd';

export interface ClientOptions {
  /** Deadline of one request; a write that misses it is recorded as unknown. */
  readonly requestTimeoutMs: number;
  /** No login even when auth is on (status() needs none): the health polls, which would otherwise log in on every poll. */
  readonly anonymous?: boolean;
}

export interface Target {
  readonly kind: TargetKind;
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
