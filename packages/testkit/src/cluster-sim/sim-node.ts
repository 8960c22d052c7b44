// What the simulator needs from a running node. The adapter in
// node-adapter.ts maps @flotilla/node's driver onto it; keeping the contract
// narrow keeps the simulator readable and shows exactly what it exercises.

import { isNotApplied } from '@flotilla/errors';
import type { NodeId, Role } from '@flotilla/raft';
import type {
  KvLimits,
  PutRequest,
  PutResponse,
  RangeRequest,
  RangeResponse,
  TxnRequest,
  TxnResponse,
} from '@flotilla/kv';

export type ReadConsistency = 'linearizable' | 'lease' | 'serializable';

/** An exactly-once identity: a retry with the same (clientId, seq) is applied at most once. seq 1 is the id's register, writes use seq ≥ 2. */
export interface Session {
  readonly clientId: string;
  readonly seq: number;
}

export interface SimulatedNodeStatus {
  readonly role: Role;
  readonly term: number;
  readonly leader: NodeId;
  readonly commitIndex: number;
  readonly appliedIndex: number;
  /** Last index of the node's log (written, maybe not yet durable or committed). */
  readonly lastIndex: number;
  /** Voters of the node's current configuration (as it knows it). */
  readonly voters: readonly NodeId[];
  /** Voters and learners. */
  readonly members: readonly NodeId[];
}

export interface SimulatedNode {
  readonly id: NodeId;
  put(req: PutRequest, session?: Session): Promise<PutResponse>;
  range(req: RangeRequest, consistency: ReadConsistency): Promise<RangeResponse>;
  txn(req: TxnRequest, session?: Session): Promise<TxnResponse>;
  /** Registers an exactly-once client id (its seq 1); a session's writes follow from seq 2. */
  register(clientId: string): Promise<void>;
  /** Grants a lease of `ttlSeconds`; resolves with its id and TTL. */
  leaseGrant(ttlSeconds: number): Promise<{ id: number; ttl: number }>;
  /** Renews a lease on the leader's lease clock; resolves with the TTL in seconds it now has. */
  leaseKeepAlive(id: number): Promise<number>;
  leaseRevoke(id: number): Promise<void>;
  status(): SimulatedNodeStatus;
  addLearner(id: NodeId): Promise<void>;
  promote(id: NodeId): Promise<void>;
  removeMember(id: NodeId): Promise<void>;
  transferLeadership(to: NodeId): Promise<void>;
  /** Stops at once without flushing anything (the process dies). */
  crash(): Promise<void>;
  /** Calls `fn` once if the node stops itself (a failed write, a broken invariant: `category` 'bug'). */
  onFailed(fn: (failure: { reason: string; category: string }) => void): void;
  /** Stops gracefully. */
  close(): Promise<void>;
}

/**
 * A refusal before the request was proposed: definitely not applied (the
 * error's category says so), so the attempt may be sent again. ("Session
 * expired" is not applied either, but it is a refusal of the id, `badInput`:
 * the same attempt is refused again.) Every other failure of a write is an
 * unknown outcome: the checker may assume it took effect or not.
 */
export function definitelyNotApplied(err: unknown): boolean {
  return isNotApplied(err);
}

/** Everything a simulated node is built from; the starter wires them into a real driver. */
export interface SimulatedNodeParams {
  readonly id: NodeId;
  readonly clusterId: string;
  readonly storage: import('@flotilla/storage').MemoryStorage;
  readonly transport: import('@flotilla/transport').Transport;
  readonly clock: import('@flotilla/transport').Clock;
  readonly rng: import('@flotilla/raft').Rng;
  /** The node's KV state (a memory-level database); it survives crashes like a real data directory. */
  readonly stateLevel: import('memory-level').MemoryLevel<string, Uint8Array>;
  /** The founding voters, given on every start (a new data directory stores them; a joining node is not among them). */
  readonly initialVoters: readonly NodeId[];
  readonly snapshotEntries: number;
  /** This node's clock runs at this rate of true (virtual) time: drift. */
  readonly clockRate: number;
  /** KV limits of the cluster (the same on every member), e.g. a small exactly-once table. */
  readonly kvLimits: Partial<KvLimits>;
}

export type NodeStarter = (params: SimulatedNodeParams) => Promise<SimulatedNode>;
