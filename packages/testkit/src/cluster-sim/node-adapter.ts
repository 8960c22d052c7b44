// The one place the simulator meets @flotilla/node: createNode on the
// simulated parts, seen through the narrow SimulatedNode contract.

import { createNode, SkewedClock, type FlotillaNode, type NodeOptions } from '@flotilla/node';
import type { NodeStarter, SimulatedNode, SimulatedNodeParams } from './sim-node.js';

function wrap(node: FlotillaNode): SimulatedNode {
  return {
    id: node.id,
    put: (req, session) => node.put(req, session),
    range: (req, consistency) => node.range(req, { consistency }),
    txn: (req, session) => node.txn(req, session),
    register: async (clientId) => {
      await node.register({ clientId });
    },
    leaseGrant: async (ttl) => {
      const r = await node.leaseGrant({ id: 0, ttl });
      return { id: r.id, ttl: r.ttl };
    },
    leaseKeepAlive: async (id) => (await node.leaseKeepAlive(id)).ttl,
    leaseRevoke: async (id) => {
      await node.leaseRevoke({ id });
    },
    status: () => {
      const s = node.status();
      const c = s.confState;
      const voters = [...new Set([...c.voters, ...c.votersOutgoing])];
      return {
        role: s.role,
        term: s.term,
        leader: s.leader,
        commitIndex: s.commitIndex,
        appliedIndex: s.appliedIndex,
        lastIndex: s.lastIndex,
        voters,
        members: [...new Set([...voters, ...c.learners, ...c.learnersNext])],
      };
    },
    addLearner: async (id) => {
      await node.addLearner(id);
    },
    promote: async (id) => {
      await node.promote(id);
    },
    removeMember: async (id) => {
      await node.removeMember(id);
    },
    transferLeadership: (to) => node.transferLeadership(to),
    crash: () => node.crash(),
    onFailed: (fn) => {
      node.on('failed', fn);
    },
    close: () => node.close(),
  };
}

/**
 * A NodeStarter running the real driver. `options` are passed to createNode
 * on top of the simulation's defaults (small snapshot interval from the
 * schedule, and a short catch-up tail so lagging nodes need InstallSnapshot).
 */
export function flotillaStarter(options: NodeOptions = {}): NodeStarter {
  return async (p: SimulatedNodeParams) => {
    const node = await createNode({
      id: p.id,
      clusterId: p.clusterId,
      storage: p.storage,
      transport: p.transport,
      // Drift: the node's timers and readings run at clockRate (SkewedClock, the fault suite's clock nemesis).
      clock:
        p.clockRate === 1 ? p.clock : new SkewedClock(p.clock, { rate: p.clockRate, offsetMs: 0 }),
      rng: p.rng,
      stateLevel: p.stateLevel,
      initialVoters: p.initialVoters,
      options: {
        snapshotEntries: p.snapshotEntries,
        snapshotCatchUpEntries: p.snapshotEntries,
        snapshotChunkBytes: 512,
        kvLimits: p.kvLimits,
        ...options,
      },
    });
    return wrap(node);
  };
}
