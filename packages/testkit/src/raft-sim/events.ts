// Applies one schedule event to a running cluster. An event that needs
// something absent right now (no leader, no learner, nobody crashed) does
// nothing: that keeps every shrunk schedule runnable.
import type { ConfChange, NodeId } from '@flotilla/raft';
import type { RaftSimCluster } from './cluster.js';
import type { ConfOp, PartitionShape, SimEvent } from './schedule.js';
import type { SimNode } from './sim-node.js';

/** Voters the simulation keeps at least, so that one crash never stalls a configuration for good. */
export const VOTERS_MIN = 3;

export interface EventCounters {
  proposals: number;
  reads: number;
}

const at = <T>(xs: readonly T[], pick: number): T | undefined =>
  xs.length === 0 ? undefined : xs[pick % xs.length];

export async function applyEvent(c: RaftSimCluster, e: SimEvent, n: EventCounters): Promise<void> {
  switch (e.kind) {
    case 'propose': {
      const leader = at(c.leaders(), e.pick);
      for (let i = 0; i < e.count; i++) leader?.propose(`v${n.proposals++}`);
      return;
    }
    case 'partition':
      partition(c, e.shape, e.pick);
      return;
    case 'heal':
      c.faults.heal();
      return;
    case 'noise':
      c.faults.setDrop(e.dropP);
      c.faults.setDuplicate(e.duplicateP);
      c.faults.setReorder(e.reorderP, e.delayMsMax);
      c.faults.setDelay({
        minMs: c.options.netDelayMsMin,
        maxMs: Math.max(c.options.netDelayMsMin, e.delayMsMax),
      });
      return;
    case 'quiet':
      c.quiet();
      return;
    case 'crash': {
      const victim = at(c.up(), e.pick);
      if (victim !== undefined) c.crash(victim.id, e.tear);
      return;
    }
    case 'restart': {
      const node = at(c.down(), e.pick);
      if (node !== undefined) await c.restart(node.id);
      return;
    }
    case 'conf':
      changeMembership(c, e.op, e.pick);
      return;
    case 'transferLeadership': {
      const leader = c.leaders()[0];
      const voters = leader?.raw?.status().confState.voters ?? [];
      const target = at(voters, e.pick);
      if (leader !== undefined && target !== undefined)
        leader.with((raw) => raw.transferLeadership(target));
      return;
    }
    case 'read': {
      const node = at(c.up(), e.pick);
      const context = `r${n.reads++}`;
      // The floor is taken before asking: any commit known now must be covered.
      c.checker.observeReadRequest(context);
      node?.with((raw) => raw.readIndex(context));
      return;
    }
    case 'slowDisk': {
      const node = at([...c.nodes.values()], e.pick);
      if (node !== undefined) node.persistDelayMsMax = e.delayMsMax;
      return;
    }
    default: {
      const never: never = e;
      throw new Error(`unknown event ${JSON.stringify(never)}`);
    }
  }
}

function partition(c: RaftSimCluster, shape: PartitionShape, pick: number): void {
  const ids = [...c.nodes.keys()];
  const leader = c.leaders()[0];
  switch (shape) {
    case 'halves': {
      const rotated = [...ids.slice(pick % ids.length), ...ids.slice(0, pick % ids.length)];
      const half = Math.floor(rotated.length / 2);
      c.faults.partition([rotated.slice(0, half), rotated.slice(half)]);
      return;
    }
    case 'isolateLeader':
      if (leader !== undefined) c.faults.isolate(leader.id);
      return;
    case 'bridge': {
      // The bridge is named in no group, so it keeps its links to both sides.
      const bridge = ids[pick % ids.length]!;
      const rest = ids.filter((id) => id !== bridge);
      const half = Math.ceil(rest.length / 2);
      c.faults.partition([rest.slice(0, half), rest.slice(half)]);
      return;
    }
    case 'leaderDeaf':
      if (leader !== undefined)
        for (const id of ids) if (id !== leader.id) c.faults.blockLink(leader.id, id);
      return;
    case 'isolateOne':
      c.faults.isolate(ids[pick % ids.length]!);
      return;
    default: {
      const never: never = shape;
      throw new Error(`unknown partition shape ${String(never)}`);
    }
  }
}

function changeMembership(c: RaftSimCluster, op: ConfOp, pick: number): void {
  const leader: SimNode | undefined = c.leaders()[0];
  const conf = leader?.raw?.status().confState;
  if (leader === undefined || conf === undefined || conf.votersOutgoing.length > 0) return;
  const learners = conf.learners.filter((id) => !conf.learnersNext.includes(id));
  const voters = conf.voters;
  const propose = (change: ConfChange): boolean =>
    leader.with((raw) => raw.proposeConfChange(change))?.ok === true;
  switch (op) {
    case 'addLearner': {
      if (c.nodes.size >= c.options.nodesMax) return;
      const id: NodeId = c.nextId();
      // The new member must exist before the leader's first message reaches it.
      if (propose({ changes: [{ op: 'addLearner', nodeId: id }] })) c.startNode(id);
      return;
    }
    case 'promote': {
      const id = at(learners, pick);
      if (id !== undefined) propose({ changes: [{ op: 'addVoter', nodeId: id }] });
      return;
    }
    case 'remove': {
      const removable = voters.length > VOTERS_MIN ? [...voters, ...learners] : learners;
      const id = at(removable, pick);
      if (id !== undefined) propose({ changes: [{ op: 'removeNode', nodeId: id }] });
      return;
    }
    case 'replace': {
      const learner = at(learners, pick);
      const voter = at(voters, pick);
      if (learner !== undefined && voter !== undefined) {
        propose({
          changes: [
            { op: 'addVoter', nodeId: learner },
            { op: 'removeNode', nodeId: voter },
          ],
          joint: true,
        });
      }
      return;
    }
    default: {
      const never: never = op;
      throw new Error(`unknown membership change ${String(never)}`);
    }
  }
}
