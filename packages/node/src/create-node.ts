// Composing a node from its parts, and restarting one: load what storage
// holds, bring the KV state level with the log (a snapshot install may have
// been cut short by a crash), and hand the core exactly what it needs.
import { randomInt } from 'node:crypto';
import { KvStateMachine } from '@flotilla/kv';
import { RawNode, type ConfState, type HardState, type SnapshotMeta } from '@flotilla/raft';
import type { LoadedState, SnapshotStore, Storage } from '@flotilla/storage';
import type { PeerAddress } from '@flotilla/transport';
import { Driver } from './driver.js';
import { invariant, NodeOptionsError } from './errors.js';
import { Emitter } from './events.js';
import type { FlotillaNode } from './flotilla-node.js';
import { InlineNode } from './node.js';
import { resolveOptions } from './options.js';
import { snapshotFrameBytesMax, unframeChunks } from './snapshot-framing.js';
import { dropForeignSnapshots, openForRestart } from './stored-snapshots.js';
import type { CreateNodeParams } from './types.js';

/**
 * Creates and starts a node on the given storage, transport, clock and Rng.
 * The same call restarts a node: pass the storage (and state level) it used before.
 */
export async function createNode(params: CreateNodeParams): Promise<FlotillaNode> {
  return createNodeWith(params, async () => undefined, undefined);
}

/** @internal createNode with a hook that runs after the node stopped (openNode closes its storage there). */
export async function createNodeWith(
  params: CreateNodeParams,
  onStopped: () => Promise<void>,
  listenAddress: PeerAddress | undefined,
): Promise<InlineNode> {
  const options = resolveOptions(params.options);
  if (params.clusterId.length === 0) throw new NodeOptionsError('clusterId must not be empty');
  const snapshots = params.snapshotStore ?? params.storage.snapshots;
  const kv = await KvStateMachine.open(params.stateLevel, {
    limits: options.kvLimits,
    answerBeforeWrite: options.answerBeforeKvWrite,
  });
  try {
    const loaded = await bootstrapIfNew(params.storage, params.initialVoters ?? []);
    const snapIndex = loaded.snapshotMeta?.index ?? 0;
    if (kv.appliedIndex < snapIndex) await restoreFromSnapshot(kv, snapshots, loaded);
    await dropForeignSnapshots(snapshots, loaded);
    const applied = kv.appliedIndex;
    invariant(
      applied <= loaded.lastIndex,
      () =>
        `the KV state is at index ${applied} but the Raft log ends at ${loaded.lastIndex}: the state level does not belong to this log`,
    );
    // Applied entries were committed, even if the commit index (not synced on its own) was lost.
    const hardState: HardState = {
      ...loaded.hardState,
      commit: Math.max(loaded.hardState.commit, applied),
    };
    // Never from the seed: two lives of a node started with the same seed must differ (their request ids
    // and read contexts both count from 1). In [2^47, 2^48), so it always encodes to the same size.
    const incarnation = randomInt(2 ** 47, 2 ** 48);
    // The number this draw used to take from the Rng is still drawn, so recorded seeds replay the same elections.
    params.rng.next();
    const raw = new RawNode({
      id: params.id,
      rng: params.rng,
      electionTicks: options.electionTicks,
      heartbeatTicks: options.heartbeatTicks,
      preVote: options.preVote,
      checkQuorum: options.checkQuorum,
      // Lease reads (which need CheckQuorum) trust that a voter restarted within an election timeout votes for no one.
      leaseGuardAtRestart: options.checkQuorum,
      maxMsgBytes: options.maxMsgBytes,
      maxInflightMsgs: options.maxInflightMsgs,
      maxInflightBytes: options.maxInflightBytes,
      maxUncommittedBytes: options.maxUncommittedBytes,
      maxPendingReads: options.pendingReadsMax,
      initial: {
        hardState,
        confState: loaded.confState,
        ...(loaded.snapshotMeta !== undefined ? { snapshotMeta: loaded.snapshotMeta } : {}),
        entries: loaded.entries,
        applied,
      },
    });
    const events = new Emitter();
    const driverParams = {
      id: params.id,
      raw,
      storage: params.storage,
      snapshots,
      transport: params.transport,
      clock: params.clock,
      kv,
      options,
      events,
      appliedTerm: termAt(loaded, applied),
      compactedIndex: snapIndex,
      incarnation,
    };
    // The node builds (and starts) its driver, giving it the node's request server.
    const node = new InlineNode({
      id: params.id,
      clusterId: params.clusterId,
      driver: (hooks) => new Driver({ ...driverParams, ...hooks }),
      kv,
      transport: params.transport,
      clock: params.clock,
      events,
      transferTimeoutMs: 4 * options.electionTicks * options.tickMs,
      readTimeoutMs: options.readTimeoutMs,
      onStopped,
      listenAddress,
    });
    return node;
  } catch (err) {
    await kv.close();
    throw err;
  }
}

/** A brand-new member records the founding configuration, so later starts need nothing but the data. */
async function bootstrapIfNew(storage: Storage, voters: readonly number[]): Promise<LoadedState> {
  const loaded = await storage.load();
  const isNew =
    loaded.snapshotMeta === undefined && loaded.entries.length === 0 && loaded.hardState.term === 0;
  if (!isNew) return loaded;
  if (voters.length === 0) {
    throw new NodeOptionsError(
      'initialVoters is empty on a new data directory: give the founding voters (the same list on every member, also on members that join later)',
    );
  }
  const confState: ConfState = {
    voters: [...voters],
    votersOutgoing: [],
    learners: [],
    learnersNext: [],
  };
  const meta: SnapshotMeta = { index: 0, term: 0, confState };
  await storage.persist({ snapshotMeta: meta }, { sync: true });
  return storage.load();
}

/** The KV state is behind the log's compaction point (a crash during a snapshot install): finish the install. */
async function restoreFromSnapshot(
  kv: KvStateMachine,
  snapshots: SnapshotStore,
  loaded: LoadedState,
): Promise<void> {
  const opened = await openForRestart(snapshots, loaded);
  const snap = loaded.snapshotMeta;
  invariant(
    opened !== undefined,
    () =>
      `the KV state is at ${kv.appliedIndex}, behind the log's compaction point ${snap?.index}/${snap?.term}, and no snapshot of this log at or after it is stored`,
  );
  await kv.restore(unframeChunks(opened.stream(), snapshotFrameBytesMax(kv)));
}

function termAt(loaded: LoadedState, index: number): number {
  const snap = loaded.snapshotMeta;
  if (index === (snap?.index ?? 0)) return snap?.term ?? 0;
  const first = loaded.entries[0];
  invariant(first !== undefined && index >= first.index, `no entry at applied index ${index}`);
  return loaded.entries[index - first.index]!.term;
}
