// The one place the simulator meets @flotilla/node: createNode on the
// simulated parts, seen through the narrow SimulatedNode contract.

import { createNode, type FlotillaNode, type NodeOptions } from '@flotilla/node';
import type { NodeStarter, SimulatedNode, SimulatedNodeParams } from './sim-node.js';

function wrap(node: FlotillaNode): SimulatedNode {
  return {
    id: node.id,
    put: (req) => node.put(req),
    range: (req, consistency) => node.range(req, { consistency }),
    txn: (req) => node.txn(req),
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
      clock: p.clock,
      rng: p.rng,
      stateLevel: p.stateLevel,
      initialVoters: p.initialVoters,
      options: { snapshotEntries: p.snapshotEntries, snapshotCatchUpEntries: p.snapshotEntries, snapshotChunkBytes: 512, ...options },
    });
    return wrap(node);
  };
}
