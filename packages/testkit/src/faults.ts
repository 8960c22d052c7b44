// The fault vocabulary both simulators share (the Raft-core simulator,
// raft-sim/, and the whole-cluster simulator, cluster-sim/): the same name
// means the same fault in either, with the same field names and units, so a
// schedule from one reads like a schedule from the other. Each simulator
// supports the subset its level can express (docs/testing.md, "One fault
// vocabulary"): the core simulator has no clients or wall time, the
// whole-cluster one runs real drivers on virtual milliseconds.

/** How a partition splits the nodes. */
export type PartitionShape =
  /** Two groups that cannot reach each other, one of them a majority. */
  | 'halves'
  /** The current leader cut off from everyone. */
  | 'isolateLeader'
  /** Two majorities overlapping in one bridge node, which alone reaches both sides. */
  | 'bridge'
  /** The leader hears its followers but cannot reach them (one-way links). */
  | 'leaderDeaf'
  /** One node cut off (core simulator). */
  | 'isolateOne'
  /** One random one-way link cut (whole-cluster simulator). */
  | 'oneWayLink';

/**
 * The faults by name. `pick` picks a node among the candidates at the moment
 * the fault runs (so a shrunk schedule still means something); probabilities
 * end in `P` (0..1); durations in `Ms`.
 */
export type FaultKind =
  /** Split the network (`shape`); `heal` ends it. */
  | 'partition'
  /** Restore every link and stop message noise. */
  | 'heal'
  /** Random loss, duplication and reordering: `dropP`, `duplicateP`, `reorderP`. */
  | 'noise'
  /** Kill a node, losing unsynced writes; `tear` also tears its last unsynced batch. */
  | 'crash'
  /** Start a crashed node again from what it persisted. */
  | 'restart'
  /** Ask the leader to hand leadership to another voter. */
  | 'transferLeadership'
  /** Make one node's writes slow, widening the window between write and acknowledgement. */
  | 'slowDisk'
  /**
   * Make one node's writes fail (`what`: its Raft log or its KV state), as a
   * dying disk does: the node stops itself on the first failure and restarts
   * after `downMs` from what it had synced (whole-cluster simulator).
   */
  | 'failingDisk';
