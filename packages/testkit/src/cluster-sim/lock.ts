// Lock contenders, etcd's lease lock recipe on the simulated nodes: grant a
// lease, acquire = a txn that puts the lock key attached to the lease if the
// key is absent, hold while keep-alives succeed, release = revoke the lease
// (which deletes the key). Each contender records what it believed: the hold
// starts at the acquire's acknowledgement and ends when it stops (release,
// "lease not found") or, if earlier, when its lease could have run out by the
// latest successful keep-alive (its send time plus the TTL answered, less
// the clock drift allowed), so checkMutex can flag two holders at once.
// Leases are granted, kept alive, revoked and expire across the leader
// changes the nemesis causes.

import { randomInt, type Rng } from '@flotilla/raft';
import type { LockHold } from '../checker/mutex.js';
import { withTimeout } from './client.js';
import { LeaseNotFoundError } from '@flotilla/kv';
import type { SimRuntime } from './runtime.js';
import type { SimulatedNode } from './sim-node.js';

const enc = new TextEncoder();
const LOCK_KEY = enc.encode('lock');

export interface LockOptions {
  readonly clients: number;
  /** Lease TTL in seconds (the kv's minimum is 1). */
  readonly ttlSeconds: number;
  readonly keepAliveEveryMs: number;
  /** A contender holds for a uniform time in [0, holdMsMax] unless its lease fails first. */
  readonly holdMsMax: number;
  readonly timeoutMs: number;
  readonly thinkMsMax: number;
  /** Share of holds in which the holder stalls 1–2 s (its lease runs out meanwhile) and then keeps alive again. Default 0. */
  readonly stallShare?: number;
  /**
   * The drift the cluster's clocks may have (rate within 1 ± d): a contender
   * counts its lease as TTL / (1 + d) from the keep-alive's send, the most a
   * drifting leader's lease clock is sure to give.
   */
  readonly clockDriftMax: number;
}

export interface LockEnv {
  readonly runtime: SimRuntime;
  readonly reachable: () => readonly SimulatedNode[];
}

function pick(rng: Rng, env: LockEnv): SimulatedNode | undefined {
  const nodes = env.reachable();
  return nodes.length === 0 ? undefined : nodes[randomInt(rng, 0, nodes.length - 1)];
}

/** Runs the contenders until `untilMs`; adds every hold they believed they had to `holds` as it ends, and resolves with it. */
export async function runLockClients(
  env: LockEnv,
  options: LockOptions,
  untilMs: number,
  holds: LockHold[] = [],
): Promise<LockHold[]> {
  const rt = env.runtime;
  const rng = rt.rng('lock');
  const leaseMs = (ttlSeconds: number): number => (ttlSeconds * 1000) / (1 + options.clockDriftMax);

  const contender = async (client: number): Promise<void> => {
    while (rt.now < untilMs) {
      await rt.sleep(randomInt(rng, 0, options.thinkMsMax));
      const node = pick(rng, env);
      if (node === undefined || rt.now >= untilMs) continue;
      const grantedAt = rt.now;
      const grant = await withTimeout(rt, node.leaseGrant(options.ttlSeconds), options.timeoutMs);
      if (grant.kind !== 'ok') continue; // a lease of unknown fate expires by itself
      const leaseId = grant.value.id;
      let boundMs = grantedAt + leaseMs(grant.value.ttl);
      const acquire = await withTimeout(
        rt,
        node.txn({
          compare: [{ target: 'MOD', result: 'EQUAL', key: LOCK_KEY, modRevision: 0 }],
          success: [
            {
              requestPut: {
                key: LOCK_KEY,
                value: enc.encode(`c${client}/${leaseId}`),
                lease: leaseId,
              },
            },
          ],
          failure: [],
        }),
        options.timeoutMs,
      );
      if (acquire.kind === 'ok' && acquire.value.succeeded && rt.now < boundMs) {
        const acquiredMs = rt.now;
        const revision = acquire.value.header.revision;
        const holdUntil = acquiredMs + randomInt(rng, 0, options.holdMsMax);
        let endedBy: LockHold['endedBy'] = 'release';
        // Keep alive until done. A failed keep-alive (timeout, no leader) is tried again: a later
        // success means the lease is still ours. Only "lease not found" ends the hold at once.
        // Sometimes the holder stalls (a GC pause, SIGSTOP) past its lease, then wakes and keeps alive again.
        const stallMs = rng.next() < (options.stallShare ?? 0) ? randomInt(rng, 1_000, 2_000) : 0;
        let stalled = stallMs === 0;
        while (rt.now < holdUntil + stallMs) {
          if (!stalled && rt.now >= acquiredMs + options.keepAliveEveryMs) {
            stalled = true;
            await rt.sleep(stallMs);
          }
          await rt.sleep(
            Math.max(0, Math.min(holdUntil + stallMs, rt.now + options.keepAliveEveryMs) - rt.now),
          );
          if (rt.now >= holdUntil + stallMs) break;
          // Like a client connection: keep-alives go to the node the lease came from while it is up.
          const target = env.reachable().includes(node) ? node : pick(rng, env);
          if (target === undefined) continue;
          const sentAt = rt.now;
          const kept = await withTimeout(rt, target.leaseKeepAlive(leaseId), options.timeoutMs);
          if (kept.kind === 'ok' && kept.value > 0)
            boundMs = Math.max(boundMs, sentAt + leaseMs(kept.value));
          else if (kept.kind === 'error' && kept.error instanceof LeaseNotFoundError) {
            endedBy = 'keepAliveFailed';
            break;
          }
        }
        if (rt.now > boundMs) endedBy = 'leaseRanOut';
        holds.push({
          client,
          leaseId,
          revision,
          acquiredMs,
          endMs: Math.min(rt.now, boundMs),
          endedBy,
        });
      }
      // Release (or give up): revoke the lease, which deletes the key if this contender had it.
      const releaser = pick(rng, env);
      if (releaser !== undefined)
        await withTimeout(rt, releaser.leaseRevoke(leaseId), options.timeoutMs);
    }
  };
  await Promise.all(Array.from({ length: options.clients }, (_, k) => contender(k)));
  return holds;
}
