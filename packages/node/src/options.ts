// Node options, their defaults and validation. Every queue has a limit and
// every wait a timeout; units are last in the names.
import type { KvLimits } from '@flotilla/kv';
import { NodeOptionsError } from './errors.js';

export interface NodeOptions {
  /** Milliseconds per Raft tick. Default 10. */
  readonly tickMs?: number;
  /** Election timeout in ticks; followers randomize in [electionTicks, 2·electionTicks). Default 15 (150–300 ms). */
  readonly electionTicks?: number;
  /** Heartbeat interval in ticks. Default 2 (20 ms). */
  readonly heartbeatTicks?: number;
  readonly preVote?: boolean;
  readonly checkQuorum?: boolean;
  /** Bytes of entries per append message. Default 1 MiB. */
  readonly maxMsgBytes?: number;
  /** Pipelining window: appends in flight per follower. Default 256. */
  readonly maxInflightMsgs?: number;
  /** Pipelining window in entry bytes per follower (below the transport's per-peer queue, 32 MiB by default). Default 16 MiB. */
  readonly maxInflightBytes?: number;
  /** Uncommitted bytes a leader accepts before refusing proposals. Default 64 MiB. */
  readonly maxUncommittedBytes?: number;
  /** Forward proposals and reads from a follower to the leader (true), or fail them with NotLeaderError (false). Default true. */
  readonly forwardToLeader?: boolean;
  /** A forwarded request without an answer in this time fails (writes: UnknownOutcomeError). Default 5,000. */
  readonly forwardTimeoutMs?: number;
  /** Requests this node has forwarded and not yet had answered. Default 1,024. */
  readonly forwardedRequestsMax?: number;
  /** Proposals waiting for the next Raft batch. Default 4,096. */
  readonly proposalQueueMax?: number;
  /** Proposals in the log and not yet applied, that this node waits for. Default 16,384. */
  readonly pendingProposalsMax?: number;
  /** A proposal not applied in this time fails with UnknownOutcomeError. Default 10,000. */
  readonly proposalTimeoutMs?: number;
  /** A linearizable read not served in this time fails with RequestTimeoutError. Default 5,000. */
  readonly readTimeoutMs?: number;
  /** Linearizable reads waiting for a read index or for apply. Default 4,096. */
  readonly pendingReadsMax?: number;
  /**
   * Lease reads are served locally while the leader's lease holds: for this
   * fraction of the minimum election timeout (electionTicks·tickMs) after a
   * confirmed heartbeat round. At most leaseFractionMax(electionTicks), which
   * allows for a tick's rounding and LEASE_CLOCK_DRIFT_MAX (docs/architecture.md,
   * "Leader leases"). Default 0.8, or that bound if lower.
   */
  readonly leaseFraction?: number;
  /** Raft messages buffered while a batch is being written (more are dropped; Raft retransmits). Default 10,000. */
  readonly inboxMessagesMax?: number;
  /** Take a KV snapshot every this many applied entries. Default 10,000. */
  readonly snapshotEntries?: number;
  /** ... or every this many bytes of applied entry data, whichever comes first. Default 64 MiB. */
  readonly snapshotBytes?: number;
  /** Entries kept in the log behind a snapshot, so a slightly lagging follower catches up from the log. Default 1,000. */
  readonly snapshotCatchUpEntries?: number;
  /** Bytes per InstallSnapshot chunk on the wire. Default 1 MiB. */
  readonly snapshotChunkBytes?: number;
  /** Chunks in flight (sent, not acknowledged) per snapshot transfer. Default 4. */
  readonly snapshotWindowChunks?: number;
  /** A snapshot transfer with no progress for this long is abandoned (both sides). Default 10,000. */
  readonly snapshotTimeoutMs?: number;
  /** Largest snapshot a follower accepts. Default 16 GiB. */
  readonly snapshotBytesMax?: number;
  /** A follower reports its applied index to the leader at most this often (state latency). Default 5. */
  readonly applyReportMs?: number;
  /** Idle progressNotify watchers get a progress notification this often. Default 1,000. */
  readonly progressNotifyMs?: number;
  /** KV limits; must be the same on every member. */
  readonly kvLimits?: Partial<KvLimits>;
  /**
   * Fold every proposal queued during a write into the next batch (true), or
   * put one proposal per batch (false: one fsync per write, for benchmark
   * ablations only). Default true.
   */
  readonly groupCommit?: boolean;
  /**
   * The leader sends its appends before its own write is durable (true, Raft
   * thesis §10.2.1), or only after it (false: for benchmark ablations). Default true.
   */
  readonly parallelLeaderWrite?: boolean;
  /**
   * A write is answered once its entry is applied to the KV state in memory,
   * and the KV batch is written behind the answer (true), or only after that
   * write (false: for benchmark ablations). Nothing acknowledged depends on
   * that write: the entry is already in the durable Raft log, and a restart
   * applies the log again from the KV state's stored applied index. Default true.
   */
  readonly answerBeforeKvWrite?: boolean;
  /**
   * TEST ONLY: deliberately re-introduced bugs, so the simulators' self-tests
   * can show their checkers catching each one. Never set outside a test.
   */
  readonly unsafeTestFaults?: UnsafeTestFaults;
}

/** Known bugs a test may switch back on (each one was fixed; see the option's consumer). */
export interface UnsafeTestFaults {
  /** A forwarded answer or a read-index confirmation is matched by its id alone, not by the sender's incarnation. */
  readonly ignoreIncarnation?: boolean;
  /** The leader's lease tracker only ever adds leases: committed revokes and expiries are not reconciled. */
  readonly leaseTrackerAddOnly?: boolean;
  /** The driver sends its messages (a follower's acknowledgements) before the batch's entries are persisted. */
  readonly sendBeforePersist?: boolean;
  /** A failed Raft log write is ignored: the driver carries on, acknowledging entries that are not on disk. */
  readonly ignoreFailedLogWrites?: boolean;
}

export type ResolvedOptions = Required<Omit<NodeOptions, 'kvLimits'>> & {
  readonly kvLimits: Partial<KvLimits>;
};

const MIB = 1024 * 1024;

/**
 * The clock drift leader leases assume: over any interval, every member's
 * clock measures within ±5 % of true time. Quartz oscillators stay within
 * 0.01 % and NTP slews a clock by at most 0.05 %; the rest is margin.
 */
export const LEASE_CLOCK_DRIFT_MAX = 0.05;

/**
 * The longest safe lease, as a fraction of electionTicks·tickMs. A voter that
 * acknowledged the round refuses votes until it has counted electionTicks
 * ticks after it, i.e. for more than (electionTicks − 1)·tickMs of its clock
 * (the first tick may have begun before the heartbeat arrived; ticks never run
 * faster than the clock), at least that ÷ (1 + drift) of true time. The
 * leader's lease, measured on its own clock from before the heartbeat left,
 * lasts at most leaseFraction·electionTicks·tickMs ÷ (1 − drift) of true time.
 */
export function leaseFractionMax(electionTicks: number): number {
  return (
    ((electionTicks - 1) / electionTicks) *
    ((1 - LEASE_CLOCK_DRIFT_MAX) / (1 + LEASE_CLOCK_DRIFT_MAX))
  );
}

export const DEFAULT_OPTIONS: ResolvedOptions = Object.freeze({
  tickMs: 10,
  electionTicks: 15,
  heartbeatTicks: 2,
  preVote: true,
  checkQuorum: true,
  maxMsgBytes: MIB,
  maxInflightMsgs: 256,
  maxInflightBytes: 16 * MIB,
  maxUncommittedBytes: 64 * MIB,
  forwardToLeader: true,
  forwardTimeoutMs: 5_000,
  forwardedRequestsMax: 1_024,
  proposalQueueMax: 4_096,
  pendingProposalsMax: 16_384,
  proposalTimeoutMs: 10_000,
  readTimeoutMs: 5_000,
  pendingReadsMax: 4_096,
  leaseFraction: 0.8,
  inboxMessagesMax: 10_000,
  snapshotEntries: 10_000,
  snapshotBytes: 64 * MIB,
  snapshotCatchUpEntries: 1_000,
  snapshotChunkBytes: MIB,
  snapshotWindowChunks: 4,
  snapshotTimeoutMs: 10_000,
  snapshotBytesMax: 16 * 1024 * MIB,
  applyReportMs: 5,
  progressNotifyMs: 1_000,
  kvLimits: {},
  groupCommit: true,
  parallelLeaderWrite: true,
  answerBeforeKvWrite: true,
  unsafeTestFaults: Object.freeze({}),
});

export function resolveOptions(options: NodeOptions = {}): ResolvedOptions {
  const given: ResolvedOptions = { ...DEFAULT_OPTIONS, ...stripUndefined(options) };
  const leaseMax =
    Number.isInteger(given.electionTicks) && given.electionTicks > 1
      ? leaseFractionMax(given.electionTicks)
      : 1;
  // The default lease shrinks with a short election timeout; a lease given explicitly is checked below.
  const o: ResolvedOptions =
    options.leaseFraction === undefined
      ? { ...given, leaseFraction: Math.min(given.leaseFraction, leaseMax) }
      : given;
  for (const [name, value] of Object.entries(o)) {
    if (typeof value !== 'number') continue;
    const wholeNumber = name !== 'leaseFraction';
    const zeroAllowed = name === 'snapshotCatchUpEntries';
    if (
      !Number.isFinite(value) ||
      value < 0 ||
      (value === 0 && !zeroAllowed) ||
      (wholeNumber && !Number.isInteger(value))
    ) {
      throw new NodeOptionsError(
        `${name} must be a positive ${wholeNumber ? 'integer' : 'number'}${zeroAllowed ? ' or 0' : ''}, got ${value}`,
      );
    }
  }
  if (o.heartbeatTicks >= o.electionTicks) {
    throw new NodeOptionsError(
      `heartbeatTicks (${o.heartbeatTicks}) must be smaller than electionTicks (${o.electionTicks})`,
    );
  }
  if (o.leaseFraction > leaseMax) {
    throw new NodeOptionsError(
      `leaseFraction ${o.leaseFraction} is too long for electionTicks ${o.electionTicks}: the lease must end before a voter ` +
        `that confirmed it may vote again, which with clock drift up to ±${LEASE_CLOCK_DRIFT_MAX * 100} % allows at most ${leaseMax.toFixed(4)} ` +
        '(docs/architecture.md, "Leader leases"); lower leaseFraction or raise electionTicks',
    );
  }
  return o;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
