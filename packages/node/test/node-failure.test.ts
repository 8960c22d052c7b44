// A node whose storage fails stops itself (as if it crashed), fails what is
// pending and later calls with NodeFailedError, and fires 'failed': never an
// unhandled rejection that would take its host process down (vitest fails a
// run on one), never a hang. The rest of the cluster carries on, and the
// member restarts on its storage once the fault is gone.
import { describe, expect, it } from 'vitest';
import { categoryOf } from '@flotilla/errors';
import { bytes, KvWriteFailedError } from '@flotilla/kv';
import type { NodeId } from '@flotilla/raft';
import { MemCluster } from './mem-cluster.js';
import {
  isNodeStopped,
  NodeClosedError,
  NodeFailedError,
  NodeWorkerExitedError,
  UnknownOutcomeError,
  type FlotillaNode,
} from '../src/index.js';
import { failureCategory, NodeInvariantError } from '../src/errors.js';

const put = (k: string, v: string) => ({ key: bytes(k), value: bytes(v) });
const EIO = 'EIO: i/o error, write';
/** A write failure as the file system gives it: a system error with a code. */
const eio = () => Object.assign(new Error(EIO), { code: 'EIO' });

/** Makes every later Raft log write of member `id` fail, as a failing disk would. */
function breakLog(c: MemCluster, id: NodeId): void {
  const storage = c.members.get(id)!.storage;
  storage.persist = () => Promise.reject(eio());
}

/** Makes every later KV state write of member `id` fail. */
function breakState(c: MemCluster, id: NodeId): void {
  const state = c.members.get(id)!.state;
  state.batch = (() => Promise.reject(eio())) as unknown as typeof state.batch;
}

function failures(node: FlotillaNode): string[] {
  const reasons: string[] = [];
  node.on('failed', (e) => reasons.push(`${e.category}: ${e.reason}`));
  return reasons;
}

async function expectFailed(p: Promise<unknown>): Promise<NodeFailedError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(NodeFailedError);
  expect(categoryOf(err)).toBe('outcomeUnknown');
  expect(isNodeStopped(err)).toBe(true);
  expect((err as Error).message).toContain(EIO);
  return err as NodeFailedError;
}

describe('a node whose storage fails', () => {
  it('a follower whose log write fails stops, says why, and restarts once the disk is back', async () => {
    const c = await MemCluster.start(401, [1, 2, 3]);
    try {
      const leader = await c.waitLeader();
      await c.settle(leader.put(put('before', '1')));
      const id = c.running().find((n) => n !== leader)!.id;
      const follower = c.node(id);
      const reasons = failures(follower);
      breakLog(c, id);
      // The leader's append reaches the follower, whose write of it fails.
      await c.settle(leader.put(put('during', '1')));
      await c.until(() => reasons.length > 0, "the follower's failed event");
      expect(reasons).toEqual([`environment: ${EIO}`]);
      // Every later call fails with the reason, synchronous ones included.
      await expectFailed(follower.put(put('x', '1')));
      await expectFailed(follower.range({ key: bytes('before') }));
      expect(() => follower.watch({ key: bytes('a') })).toThrow(NodeFailedError);
      // It sends nothing more: the others keep the quorum between them.
      const sent = c.sent(id);
      await c.settle(leader.put(put('after', '1')));
      expect(c.sent(id)).toBe(sent);
      // close() after a failure resolves (the node is already stopped).
      await follower.close();
      // A restart on what its storage synced catches up with the rest.
      const m = c.members.get(id)!;
      m.node = undefined;
      m.storage = m.storage.crash();
      const back = await c.startNode(id);
      await c.until(
        () => back.status().appliedIndex >= leader.status().commitIndex,
        'the restarted follower caught up',
      );
      const r = await c.settle(
        back.range({ key: bytes('a'), rangeEnd: bytes('z') }, { consistency: 'serializable' }),
      );
      expect(r.kvs.map((kv) => Buffer.from(kv.key).toString())).toEqual([
        'after',
        'before',
        'during',
      ]);
    } finally {
      await c.shutdown();
    }
  });

  it('a leader whose log write fails fails the pending write with NodeFailedError; a new leader takes it', async () => {
    const c = await MemCluster.start(402, [1, 2, 3]);
    try {
      const leader = await c.waitLeader();
      await c.settle(leader.put(put('before', '1')));
      const reasons = failures(leader);
      breakLog(c, leader.id);
      const pending = leader.put(put('lost?', '1'));
      pending.catch(() => undefined);
      await c.until(() => reasons.length > 0, "the leader's failed event");
      const err = await expectFailed(pending);
      expect(err.reason).toBe(EIO);
      const next = await c.waitLeader();
      expect(next.id).not.toBe(leader.id);
      await c.settle(next.put(put('after', '1')));
    } finally {
      await c.shutdown();
    }
  });

  it('a node whose KV state write fails stops the same way', async () => {
    const c = await MemCluster.start(403, [1, 2, 3], {
      tickMs: 10,
      electionTicks: 10,
      heartbeatTicks: 1,
      // Answered from memory before the state write: the failure comes from behind the answers.
      answerBeforeKvWrite: true,
    });
    try {
      const leader = await c.waitLeader();
      const id = c.running().find((n) => n !== leader)!.id;
      const follower = c.node(id);
      const reasons = failures(follower);
      breakState(c, id);
      await c.settle(leader.put(put('k', '1')));
      await c.until(() => reasons.length > 0, "the follower's failed event");
      // kv's KvWriteFailedError, naming the write's own error: the disk, not a bug.
      expect(reasons).toEqual([
        `environment: kv state machine is unusable after a failed write (${EIO}); reopen it`,
      ]);
      await expect(follower.put(put('x', '1'))).rejects.toBeInstanceOf(NodeFailedError);
      await follower.close();
      c.members.get(id)!.node = undefined;
    } finally {
      await c.shutdown();
    }
  });
});

it('isNodeStopped: a closed, failed or exited node, and nothing else', () => {
  expect(isNodeStopped(new NodeClosedError('put'))).toBe(true);
  expect(isNodeStopped(new NodeFailedError(EIO))).toBe(true);
  expect(isNodeStopped(new NodeWorkerExitedError(1, 'gone'))).toBe(true);
  expect(isNodeStopped(new UnknownOutcomeError('timeout'))).toBe(false);
  expect(isNodeStopped(new Error('NodeClosedError'))).toBe(false);
});

it("failureCategory: the error's own category, else environment for a system error, else bug", () => {
  expect(failureCategory(eio())).toBe('environment');
  expect(failureCategory(new TypeError('x is undefined'))).toBe('bug');
  expect(failureCategory(new NodeInvariantError('two leaders'))).toBe('bug');
  expect(failureCategory(new KvWriteFailedError('unusable'))).toBe('environment');
  expect(failureCategory('a string')).toBe('bug');
});
