// Cluster-level observations through the clients' status(): who each node
// thinks leads, and a bounded wait for a settled cluster.
import type { KvStatus } from '@flotilla/client';
import { pollUntil } from './process.js';
import type { Target } from './target.js';

const STATUS_TIMEOUT_MS = 800;

export async function statusOf(target: Target, node: number): Promise<KvStatus | undefined> {
  if (!target.isRunning(node)) return undefined;
  const kv = target.client(node, { requestTimeoutMs: STATUS_TIMEOUT_MS, anonymous: true });
  try {
    const s = await kv.status();
    target.memberIndex.set(s.memberId, node);
    return s;
  } catch {
    return undefined;
  } finally {
    await kv.close().catch(() => undefined);
  }
}

/** The node that a majority of running nodes name as leader (and that names itself), if any. */
export async function currentLeader(target: Target): Promise<number | undefined> {
  const statuses = await Promise.all(
    Array.from({ length: target.size }, (_, i) => statusOf(target, i)),
  );
  const votes = new Map<string, number>();
  for (const s of statuses)
    if (s && s.leaderId !== '' && s.leaderId !== '0')
      votes.set(s.leaderId, (votes.get(s.leaderId) ?? 0) + 1);
  for (const [id, count] of votes) {
    const index = target.memberIndex.get(id);
    if (index !== undefined && count > target.size / 2 && statuses[index]?.leaderId === id)
      return index;
  }
  return undefined;
}

/** Waits until every running node answers and all agree on one leader. */
export async function awaitSettled(target: Target, timeoutMs: number): Promise<number | undefined> {
  let leader: number | undefined;
  const ok = await pollUntil(
    async () => {
      const running = Array.from({ length: target.size }, (_, i) => i).filter((i) =>
        target.isRunning(i),
      );
      const statuses = await Promise.all(running.map((i) => statusOf(target, i)));
      if (statuses.some((s) => s === undefined || s.leaderId === '' || s.leaderId === '0'))
        return false;
      const ids = new Set(statuses.map((s) => s?.leaderId));
      if (ids.size !== 1) return false;
      leader = target.memberIndex.get([...ids][0] as string);
      return leader !== undefined;
    },
    timeoutMs,
    200,
  );
  return ok ? leader : undefined;
}
