// One simulated run: warm up, play the schedule, heal everything, then demand
// liveness (a leader within a bound, every member applying a new entry) and
// durability (every acknowledged proposal in every member's log). Safety
// invariants are checked after every event throughout.
import type { NodeId } from '@flotilla/raft';
import { RaftSimCluster } from './cluster.js';
import { LivenessError, SafetyViolationError } from './errors.js';
import { applyEvent, type EventCounters } from './events.js';
import type { RaftSimOptions } from './options.js';
import type { SimStep } from './schedule.js';
import type { SimNode } from './sim-node.js';

export interface RunLimits {
  /** Ticks before the schedule starts, so that it usually starts with a leader. Default 3 × electionTicks. */
  readonly warmupTicks?: number;
  /** After healing, a leader must exist within this many ticks. Default 10 × electionTicks. */
  readonly electionBoundTicks?: number;
  /** After that, every member must apply a new entry within this many ticks. Default 40 × electionTicks. */
  readonly convergenceBoundTicks?: number;
}

export interface RaftSimReport {
  readonly cluster: RaftSimCluster;
  readonly proposals: number;
  readonly acknowledged: number;
  /** Ticks from the heal until a leader was there. */
  readonly electionTicks: number;
  /** Ticks from then until every member applied the final entry. */
  readonly convergenceTicks: number;
  /** A digest of the final state, equal for equal (options, schedule). */
  readonly fingerprint: string;
}

export async function runRaftSchedule(
  options: RaftSimOptions,
  steps: readonly SimStep[],
  limits: RunLimits = {},
): Promise<RaftSimReport> {
  const c = new RaftSimCluster(options);
  const e = c.options.electionTicks;
  const counters: EventCounters = { proposals: 0, reads: 0 };
  await c.runTicks(limits.warmupTicks ?? 3 * e);
  for (const step of steps) {
    await applyEvent(c, step.event, counters);
    await c.runTicks(step.ticks);
  }
  await c.healAll();
  const electionTicks = await awaitLeader(c, limits.electionBoundTicks ?? 10 * e);
  const convergenceTicks = await awaitConvergence(c, limits.convergenceBoundTicks ?? 40 * e);
  checkAcknowledgedDurable(c);
  return {
    cluster: c,
    proposals: counters.proposals,
    acknowledged: c.acknowledged.length,
    electionTicks,
    convergenceTicks,
    fingerprint: fingerprint(c),
  };
}

/** A leader that is a voter of its own configuration. */
function stableLeader(c: RaftSimCluster): SimNode | undefined {
  return c.leaders().find((n) => n.raw?.status().confState.voters.includes(n.id) === true);
}

async function awaitLeader(c: RaftSimCluster, boundTicks: number): Promise<number> {
  for (let t = 0; t <= boundTicks; t++) {
    if (stableLeader(c) !== undefined) return t;
    await c.runTicks(1);
  }
  throw new LivenessError('election', boundTicks, describe(c));
}

/** Members of the leader's configuration (both halves of a joint one). */
function members(n: SimNode): NodeId[] {
  const conf = n.raw!.status().confState;
  return [...new Set([...conf.voters, ...conf.votersOutgoing, ...conf.learners])];
}

async function awaitConvergence(c: RaftSimCluster, boundTicks: number): Promise<number> {
  const retryTicks = c.options.electionTicks;
  for (let t = 0; t <= boundTicks; t++) {
    const leader = stableLeader(c);
    // (Re)propose until the proposer's own node applies it: leadership may still move.
    const finals = c.acknowledged.filter((a) => a.key.endsWith(':final'));
    if (finals.length === 0 && t % retryTicks === 0) leader?.propose('final');
    // The final entry is the newest entry; earlier acknowledged ones sit below it (checked after).
    const target = Math.max(...finals.map((a) => a.index));
    if (
      finals.length > 0 &&
      leader !== undefined &&
      members(leader).every((id) => (c.nodes.get(id)?.appliedIndex ?? 0) >= target)
    ) {
      return t;
    }
    await c.runTicks(1);
  }
  throw new LivenessError('convergence', boundTicks, describe(c));
}

function checkAcknowledgedDurable(c: RaftSimCluster): void {
  const leader = stableLeader(c)!;
  for (const a of c.acknowledged) {
    for (const id of members(leader)) {
      const n = c.node(id);
      const inLog =
        n.mirror.key(a.index) === a.key ||
        (n.mirror.snapIndex >= a.index && c.checker.committedKey(a.index) === a.key);
      if (!inLog || n.appliedIndex < a.index) {
        throw new SafetyViolationError(
          'acknowledgedDurability',
          `proposal ${a.key} acknowledged at ${a.index} by node ${a.node} is missing on node ${id} (log has ${n.mirror.key(a.index) ?? 'nothing'}, snapshot ${n.mirror.snapIndex}, applied ${n.appliedIndex})`,
        );
      }
    }
  }
}

function describe(c: RaftSimCluster): string {
  return [...c.nodes.values()]
    .map((n) => {
      const st = n.raw?.status();
      if (st === undefined) return `${n.id}:down`;
      const conf = st.confState;
      return `${n.id}:${st.softState.role}@${st.hardState.term} commit ${st.hardState.commit} applied ${n.appliedIndex} last ${st.lastIndex} voters [${conf.voters}] out [${conf.votersOutgoing}] learners [${conf.learners}]`;
    })
    .join('; ');
}

function fingerprint(c: RaftSimCluster): string {
  const nodes = [...c.nodes.values()].map((n) => {
    const st = n.raw?.status();
    return [
      n.id,
      n.incarnation,
      st?.hardState,
      n.appliedIndex,
      n.mirror.lastIndex,
      n.mirror.key(n.mirror.lastIndex),
    ];
  });
  return JSON.stringify({ now: c.clock.now(), trace: c.traceDigest, nodes, acked: c.acknowledged });
}
