// openNode's worker thread seen from the host: the same error classes as an
// inline node, watches with kv's semantics (a reader that stops is cancelled
// as slow, nothing buffers without bound), snapshots streamed from the
// worker, and a worker that dies: every pending and later call fails with
// NodeWorkerExitedError and 'workerExit' is emitted, never a hang.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  bytes,
  CompactedError,
  KeyTooLargeError,
  KvStateMachine,
  prefixEnd,
  text,
  type WatchResponse,
} from '@flotilla/kv';
import { MemoryLevel } from 'memory-level';
import { DirectoryLockedError } from '@flotilla/storage';
import {
  NodeOptionsError,
  NodeWorkerExitedError,
  NotLeaderError,
  openNode,
  type OpenNodeOptions,
} from '../src/index.js';
import { freePort, waitFor } from './tcp-harness.js';

const dir = await mkdtemp(path.join(tmpdir(), 'flotilla-worker-node-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

async function solo(name: string, extra: Partial<OpenNodeOptions> = {}): Promise<OpenNodeOptions> {
  return {
    id: 1,
    clusterId: 'worker-test',
    dataDir: path.join(dir, name),
    listen: { host: '127.0.0.1', port: await freePort() },
    peers: {},
    ...extra,
  };
}

describe('a node in a worker thread', () => {
  it('fails with the same error classes as an inline node (kv, node, storage)', async () => {
    const options = await solo('errors');
    const node = await openNode(options);
    try {
      await node.put({ key: bytes('a'), value: bytes('1') });
      const second = await node.put({ key: bytes('a'), value: bytes('2') });
      await node.compact({ revision: second.header.revision });
      const compacted = await node.range({ key: bytes('a'), revision: 1 }).catch((e) => e);
      expect(compacted).toBeInstanceOf(CompactedError);
      const tooLarge = await node
        .put({ key: new Uint8Array(65 * 1024), value: bytes('x') })
        .catch((e) => e);
      expect(tooLarge).toBeInstanceOf(KeyTooLargeError);
      // The data directory is locked by the running worker: a second open fails as it would inline.
      const locked = await openNode({ ...options, listen: { host: '127.0.0.1', port: 0 } }).catch(
        (e) => e,
      );
      expect(locked).toBeInstanceOf(DirectoryLockedError);
      expect((locked as DirectoryLockedError).dir).toBe(options.dataDir);
      expect(text((await node.range({ key: bytes('a') })).kvs[0]!.value)).toBe('2');
      await expect(openNode({ ...options, thread: 'fiber' as never })).rejects.toBeInstanceOf(
        NodeOptionsError,
      );
    } finally {
      await node.close();
    }
  });

  it('a request that cannot cross to the worker fails alone; the calls sent with it go through', async () => {
    const node = await openNode(await solo('clone'));
    try {
      const bad = node.put({ key: bytes('f'), value: bytes('v'), fn: () => 1 } as never);
      const good = node.put({ key: bytes('g'), value: bytes('v') });
      const err = await bad.catch((e: Error) => e);
      expect((err as Error).name).toBe('DataCloneError');
      expect((await good).header.revision).toBeGreaterThan(0);
    } finally {
      await node.close();
    }
  });

  it('a member that does not forward refuses with NotLeaderError naming the leader', async () => {
    const ports = [await freePort(), await freePort()];
    const address = (id: number) => ({ host: '127.0.0.1', port: ports[id - 1]! });
    const [a, b] = await Promise.all(
      [1, 2].map((id) =>
        openNode({
          id,
          clusterId: 'worker-pair',
          dataDir: path.join(dir, `pair-${id}`),
          listen: address(id),
          peers: { [3 - id]: address(3 - id) },
          forwardToLeader: false,
        }),
      ),
    );
    try {
      await waitFor(() => a!.status().leader !== 0 && b!.status().leader !== 0, 'a leader');
      const follower = a!.status().role === 'leader' ? b! : a!;
      const err = await follower.put({ key: bytes('k'), value: bytes('v') }).catch((e) => e);
      expect(err).toBeInstanceOf(NotLeaderError);
      expect((err as NotLeaderError).leader).toBe(follower.status().leader);
    } finally {
      await Promise.all([a!.close(), b!.close()]);
    }
  });

  it('watch delivers events; a reader that stops reading is cancelled as slow, with the revision to resume from', async () => {
    const node = await openNode(await solo('watch', { kvLimits: { watchBufferEventsMax: 16 } }));
    try {
      await node.put({ key: bytes('w/0'), value: bytes('first') });
      const live = node.watch({ key: bytes('w/'), rangeEnd: bytes('w0') });
      const idle = node.watch({ key: bytes('w/'), rangeEnd: bytes('w0') });
      await node.put({ key: bytes('w/1'), value: bytes('one') });
      const first = await live.next();
      expect(first?.events.map((e) => text(e.kv.key))).toEqual(['w/1']);
      // 100 more events while `idle` is never read: its worker-side watcher must be cancelled, not grow.
      for (let i = 2; i < 102; i++) await node.put({ key: bytes(`w/${i}`), value: bytes('x') });
      const seen: WatchResponse[] = [];
      for (;;) {
        const r = await idle.next();
        if (r === undefined) break;
        seen.push(r);
      }
      const last = seen.at(-1)!;
      expect(last.canceled).toBe(true);
      // kv's own message from the worker's watcher: the worker stopped sending when the host stopped acknowledging.
      expect(last.cancelReason).toMatch(
        /^slow watcher: more than 16 events waiting for the consumer \(watchBufferEventsMax\); resume with startRevision \d+/,
      );
      const delivered = seen.flatMap((r) => r.events).length;
      expect(delivered).toBeLessThan(100);
      live.cancel();
      expect(live.closed).toBe(true);
    } finally {
      await node.close();
    }
  });

  it("forwards 'applied' events while subscribed, and the worker's log lines to the logger", async () => {
    const logs: { level: string; msg: string }[] = [];
    const log = (level: string) => (_obj: object, msg: string) => logs.push({ level, msg });
    // A peer that is not there: the transport logs its failed dials (debug).
    const node = await openNode(
      await solo('events', {
        peers: { 2: { host: '127.0.0.1', port: await freePort() } },
        initialVoters: [1],
        logger: { warn: log('warn'), info: log('info'), debug: log('debug') },
      }),
    );
    try {
      const applied: number[] = [];
      const off = node.on('applied', (e) => applied.push(e.index));
      const r = await node.put({ key: bytes('e'), value: bytes('1') });
      await waitFor(() => applied.at(-1) === node.status().appliedIndex, 'the applied event');
      expect(r.header.revision).toBeGreaterThan(0);
      off();
      await waitFor(() => logs.some((l) => l.msg === 'dial failed'), "the worker's log line");
    } finally {
      await node.close();
    }
  });

  it('kvSnapshot streams the applied state from the worker', async () => {
    const node = await openNode(await solo('snap'));
    try {
      for (let i = 0; i < 20; i++) await node.put({ key: bytes(`s/${i}`), value: bytes('v') });
      const snap = await node.kvSnapshot();
      expect(snap.revision).toBe(node.status().revision);
      let bytesRead = 0;
      for await (const chunk of snap.chunks) bytesRead += chunk.byteLength;
      expect(bytesRead).toBeGreaterThan(20 * 4);
      await snap.close();
    } finally {
      await node.close();
    }
  });

  it('kvSnapshot chunks cross as buffers of their own and restore the same state', async () => {
    const node = await openNode(await solo('snap-big'));
    try {
      // 2.5 MiB of values: several 1 MiB chunks, more than one pull of 4 MiB is not needed.
      const value = new Uint8Array(64 << 10).map((_, i) => i % 251);
      for (let i = 0; i < 40; i++) await node.put({ key: bytes(`big/${i}`), value });
      const snap = await node.kvSnapshot();
      const chunks: Uint8Array[] = [];
      for await (const chunk of snap.chunks) chunks.push(chunk);
      expect(chunks.length).toBeGreaterThan(2);
      // Not views of the worker's encoder buffer (a clone would have copied all of it per chunk).
      for (const c of chunks) expect(c.buffer.byteLength).toBe(c.byteLength);
      const copy = await KvStateMachine.open(
        new MemoryLevel({ keyEncoding: 'view', valueEncoding: 'view' }),
      );
      await copy.restore(
        (async function* () {
          yield* chunks;
        })(),
      );
      const r = await copy.range({ key: bytes('big/'), rangeEnd: prefixEnd(bytes('big/')) });
      expect(r.kvs).toHaveLength(40);
      for (const kv of r.kvs) expect(kv.value).toEqual(value);
      expect(copy.revision).toBe(snap.revision);
      await copy.close();
    } finally {
      await node.close();
    }
  });

  it('a worker that dies fails every pending and later call with NodeWorkerExitedError and emits workerExit', async () => {
    // Peers that never answer: no leader, so the put below waits (up to a minute) until the worker dies.
    const node = await openNode(
      await solo('dies', {
        peers: { 2: { host: '127.0.0.1', port: await freePort() } },
        forwardTimeoutMs: 60_000,
        testWorkerExitAfterMs: 300,
      }),
    );
    const exits: { exitCode: number; reason: string }[] = [];
    node.on('workerExit', (e) => exits.push(e));
    const watcher = node.watch({ key: bytes('x') });
    const pending = node.put({ key: bytes('k'), value: bytes('v') }).catch((e) => e);
    const err = await pending;
    expect(err).toBeInstanceOf(NodeWorkerExitedError);
    expect((err as NodeWorkerExitedError).exitCode).toBe(70);
    expect(exits).toEqual([{ exitCode: 70, reason: '' }]);
    await expect(node.range({ key: bytes('k') })).rejects.toBeInstanceOf(NodeWorkerExitedError);
    expect(() => node.watch({ key: bytes('k') })).toThrow(NodeWorkerExitedError);
    const last = await watcher.next();
    expect(last?.canceled).toBe(true);
    expect(last?.cancelReason).toMatch(/worker thread exited/);
    expect(node.status().leader).toBe(0);
    await node.close();
  });

  it('after its worker died, the node opens again in the same process with every acknowledged write', async () => {
    const options = await solo('reopen');
    const node = await openNode({ ...options, testWorkerExitAfterMs: 1_000 });
    const exited = new Promise<void>((resolve) => node.on('workerExit', () => resolve()));
    const acked: string[] = [];
    // Writes until the worker dies; each one acknowledged must survive it.
    for (let i = 0; ; i++) {
      const ok = await node.put({ key: bytes(`r/${i}`), value: bytes('v') }).then(
        () => true,
        (e) => {
          expect(e).toBeInstanceOf(NodeWorkerExitedError);
          return false;
        },
      );
      if (!ok) break;
      acked.push(`r/${i}`);
    }
    await exited;
    expect(acked.length).toBeGreaterThan(0);
    const again = await openNode(options);
    try {
      const r = await again.range({ key: bytes('r/'), rangeEnd: bytes('r0') });
      const keys = new Set(r.kvs.map((kv) => text(kv.key)));
      expect(acked.filter((k) => !keys.has(k))).toEqual([]);
    } finally {
      await again.close();
    }
  });

  it('fails to open on a peer port in use with the system error code, as inline', async () => {
    const first = await openNode(await solo('port-a'));
    try {
      const taken = first.listenAddress!;
      const err = await openNode({ ...(await solo('port-b')), listen: taken }).catch((e) => e);
      expect(err).toBeInstanceOf(Error);
      expect((err as NodeJS.ErrnoException).code).toBe('EADDRINUSE');
      expect((err as Error).message).toContain(String(taken.port));
    } finally {
      await first.close();
    }
  });

  it('emits membersChanged on the host when the member table changed, not for other writes', async () => {
    const node = await openNode(await solo('members-event'));
    try {
      await node.ready({ timeoutMs: 10_000 });
      const seen: string[][] = [];
      node.on('membersChanged', (e) => seen.push(e.members.map((m) => m.name)));
      for (let i = 0; i < 10; i++) await node.put({ key: bytes(`m/${i}`), value: bytes('v') });
      await node.updateMember({ kind: 'set', id: 1, name: 'first' });
      await node.updateMember({ kind: 'set', id: 1, name: 'second' });
      for (let i = 0; i < 10; i++) await node.put({ key: bytes(`m/${i}`), value: bytes('w') });
      // The mirror travels with the answer, so the events are there when the update resolves.
      expect(seen).toEqual([['first'], ['second']]);
      expect(node.members.get(1)?.name).toBe('second');
    } finally {
      await node.close();
    }
  });

  it("answers after the host's leases, auth and member table show what the answered write applied", async () => {
    const node = await openNode(await solo('mirrors'));
    try {
      await node.ready({ timeoutMs: 10_000 });
      for (let i = 0; i < 20; i++) {
        const granted = await node.leaseGrant({ id: 1000 + i, ttl: 60 });
        expect(node.leaseLeases().leases.map((l) => l.id)).toContain(granted.id);
        await node.authChange({ kind: 'userAdd', name: `user-${i}`, noPassword: true });
        expect(node.auth.user(`user-${i}`)).toBeDefined();
        const peerUrls = [`http://127.0.0.1:${20_000 + i}`];
        await node.updateMember({ kind: 'set', id: 1, name: 'n1', peerUrls });
        expect(node.members.get(1)?.peerUrls).toEqual(peerUrls);
      }
    } finally {
      await node.close();
    }
  });
});
