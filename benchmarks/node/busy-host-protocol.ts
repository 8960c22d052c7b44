// The messages between the busy-host benchmark (benchmarks/node/busy-host.ts)
// and its three member processes (busy-host-member.ts), sent over the
// child_process IPC channel. Plain JSON-able data only.

/** Where the member lives and who its peers are; sent once, right after fork. */
export interface MemberConfig {
  readonly id: number;
  readonly clusterId: string;
  readonly dataDir: string;
  readonly port: number;
  readonly peers: Readonly<Record<number, number>>;
  /** openNode's `thread` option (issue #15); undefined: not passed, the node's default. */
  readonly thread: 'worker' | 'inline' | undefined;
}

/**
 * How a block holds the loop: `spin` burns CPU (rendering, crypto, GC), `sleep`
 * parks the thread without CPU (Atomics.wait: synchronous I/O, a lock), which
 * on a small machine separates a stalled loop from CPU starvation.
 */
export type BlockKind = 'spin' | 'sleep';

/** One measured phase: write at `rateHz`, block the loop for `blockMs` about once a second. */
export interface PhasePlan {
  readonly blockMs: number;
  readonly blockKind: BlockKind;
  readonly rateHz: number;
  /** Writes run (unmeasured, no blocks) for this long before the window opens. */
  readonly warmupMs: number;
  readonly durationMs: number;
  /** When the first block falls after the window opens; differs per member so blocks are not aligned. */
  readonly firstBlockAtMs: number;
  /** Writes still unresolved this long after the window closes are reported as unsettled. */
  readonly drainMs: number;
}

export interface LeaderView {
  readonly term: number;
  readonly leader: number;
}

/** What one member measured in one phase. */
export interface MemberReport {
  readonly id: number;
  readonly pid: number;
  /** Writes issued in the measured window. */
  readonly issued: number;
  /** Of those, resolved successfully. */
  readonly committed: number;
  /** Of those, rejected, by error name. */
  readonly failedByName: Readonly<Record<string, number>>;
  /** Of those, neither resolved nor rejected `drainMs` after the window. */
  readonly unsettled: number;
  /** Issue → resolve of every committed write, in ms, measured in this process. */
  readonly latenciesMs: readonly number[];
  /** Leader and term when the window opened. */
  readonly start: LeaderView;
  /** Every (term, leader) with a known leader this member saw after the window opened, other than `start`. */
  readonly leadersSeen: readonly LeaderView[];
  readonly termEnd: number;
  /** Growth of the node's own leaderChanges metric over the window and drain. */
  readonly leaderChangesMetric: number;
  /** Blocks done in the window and their lengths (the busy loop overshoots by a little). */
  readonly blocks: number;
  readonly blockedMsTotal: number;
  /** Window length as this process measured it. */
  readonly windowMs: number;
}

export type ParentMessage =
  | { readonly type: 'open'; readonly config: MemberConfig }
  | { readonly type: 'run'; readonly plan: PhasePlan }
  | { readonly type: 'close' };

export type ChildMessage =
  | { readonly type: 'ready'; readonly view: LeaderView }
  | { readonly type: 'report'; readonly report: MemberReport }
  | { readonly type: 'error'; readonly message: string };
