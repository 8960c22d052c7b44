// Options of the Raft core simulation, their defaults, and the hooks a
// self-test uses to build a deliberately broken cluster in the harness.
import type { NodeId } from '@flotilla/raft';
import type { LoadedState } from '@flotilla/storage';
import { SimulationError } from './errors.js';

/**
 * Faults built into the harness (never into the core) so that a self-test can
 * show the invariant checker finds them.
 */
export interface FaultInjection {
  /** Rewrites what a restarting node loads from its storage: a store that forgets a vote or synced entries. */
  readonly afterLoad?: (node: NodeId, loaded: LoadedState) => LoadedState;
  /** The driver sends Ready.messages (acknowledgements) before its write is durable. */
  readonly ackBeforePersist?: boolean;
}

export interface RaftSimOptions {
  /** Everything random in a run (network, disks, election timeouts) derives from this. */
  readonly seed: number;
  /** Founding voters, ids 1..size. 3 to 7. */
  readonly size: number;
  readonly electionTicks?: number;
  readonly heartbeatTicks?: number;
  /** Virtual time between two ticks of one node. Default 10. */
  readonly tickMs?: number;
  /** A node snapshots its state machine and compacts its log every this many applied entries. Default 8. */
  readonly snapshotEveryEntries?: number;
  /** A write becomes durable after a uniform 0..this many ms. Default 15 (longer than a tick). */
  readonly persistDelayMsMax?: number;
  /** Network delay on every link when no noise is set. Default 1..3 ms. */
  readonly netDelayMsMin?: number;
  readonly netDelayMsMax?: number;
  /** Small flow-control limits so that pipelining and probing are exercised. */
  readonly maxInflightMsgs?: number;
  readonly maxMsgBytes?: number;
  /** Nodes the run may ever start (founders plus added members). Default size + 4. */
  readonly nodesMax?: number;
  /** Timer events one runFor may fire before the run is declared a runaway. Default 2,000,000. */
  readonly eventsPerRunMax?: number;
  readonly injection?: FaultInjection;
}

export type ResolvedSimOptions = Required<Omit<RaftSimOptions, 'injection'>> & {
  readonly injection: FaultInjection;
};

export const CLUSTER_SIZE_MIN = 3;
export const CLUSTER_SIZE_MAX = 7;

export function resolveSimOptions(o: RaftSimOptions): ResolvedSimOptions {
  if (!Number.isInteger(o.size) || o.size < CLUSTER_SIZE_MIN || o.size > CLUSTER_SIZE_MAX) {
    throw new SimulationError(
      `size must be an integer from ${CLUSTER_SIZE_MIN} to ${CLUSTER_SIZE_MAX}, got ${o.size}`,
    );
  }
  if (!Number.isSafeInteger(o.seed))
    throw new SimulationError(`seed must be a safe integer, got ${o.seed}`);
  const r: ResolvedSimOptions = {
    seed: o.seed,
    size: o.size,
    electionTicks: o.electionTicks ?? 10,
    heartbeatTicks: o.heartbeatTicks ?? 1,
    tickMs: o.tickMs ?? 10,
    snapshotEveryEntries: o.snapshotEveryEntries ?? 8,
    persistDelayMsMax: o.persistDelayMsMax ?? 15,
    netDelayMsMin: o.netDelayMsMin ?? 1,
    netDelayMsMax: o.netDelayMsMax ?? 3,
    maxInflightMsgs: o.maxInflightMsgs ?? 4,
    maxMsgBytes: o.maxMsgBytes ?? 256,
    nodesMax: o.nodesMax ?? o.size + 4,
    eventsPerRunMax: o.eventsPerRunMax ?? 2_000_000,
    injection: o.injection ?? {},
  };
  for (const k of [
    'electionTicks',
    'heartbeatTicks',
    'tickMs',
    'snapshotEveryEntries',
    'maxInflightMsgs',
    'maxMsgBytes',
    'eventsPerRunMax',
  ] as const) {
    if (!Number.isInteger(r[k]) || r[k] <= 0)
      throw new SimulationError(`${k} must be a positive integer, got ${r[k]}`);
  }
  if (!Number.isInteger(r.persistDelayMsMax) || r.persistDelayMsMax < 0) {
    throw new SimulationError(
      `persistDelayMsMax must be a whole number of ms ≥ 0, got ${r.persistDelayMsMax}`,
    );
  }
  if (r.nodesMax < r.size)
    throw new SimulationError(`nodesMax (${r.nodesMax}) must be at least size (${r.size})`);
  return r;
}

/** A seed for one purpose of one node, so streams do not depend on each other's use. */
export function deriveSeed(seed: number, ...parts: number[]): number {
  let h = (seed ^ 0x5bd1e995) >>> 0;
  for (const p of parts) {
    h = Math.imul(h ^ (p >>> 0), 0x9e3779b1) >>> 0;
    h ^= h >>> 15;
  }
  return h >>> 0;
}
