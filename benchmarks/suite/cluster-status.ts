// Cluster state through the etcd v3 JSON gateway, which Flotilla's server and
// etcd both speak: who leads (POST /v3/maintenance/status), health, and
// leadership transfer. One code path for every target keeps the measurements
// comparable.

export interface MemberStatus {
  readonly memberId: string;
  /** "0" when the member knows no leader. */
  readonly leaderId: string;
  readonly raftIndex: number;
}

export class ClusterNotReadyError extends Error {
  override readonly name = 'ClusterNotReadyError';
}

const STATUS_TIMEOUT_MS = 500;

export async function memberStatus(
  clientUrl: string,
  timeoutMs = STATUS_TIMEOUT_MS,
): Promise<MemberStatus | undefined> {
  try {
    const res = await fetch(`${clientUrl}/v3/maintenance/status`, {
      method: 'POST',
      body: '{}',
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!res.ok) return undefined;
    const body = (await res.json()) as {
      header?: { member_id?: string | number };
      leader?: string | number;
      raftIndex?: string | number;
    };
    return {
      memberId: String(body.header?.member_id ?? '0'),
      leaderId: String(body.leader ?? '0'),
      raftIndex: Number(body.raftIndex ?? 0),
    };
  } catch {
    return undefined;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Polls until every member in `urls` answers and all name the same leader,
 * which is one of them; resolves with its index in `urls`.
 */
export async function agreedLeader(urls: readonly string[], timeoutMs = 30_000): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  let last = 'no answer';
  for (;;) {
    const all = await Promise.all(urls.map((u) => memberStatus(u)));
    const leaders = new Set(all.map((s) => s?.leaderId));
    if (all.every((s) => s !== undefined) && leaders.size === 1) {
      const leaderId = all[0]!.leaderId;
      const index = all.findIndex((s) => s!.memberId === leaderId);
      if (leaderId !== '0' && index >= 0) return index;
    }
    last = JSON.stringify(all);
    if (performance.now() > deadline)
      throw new ClusterNotReadyError(
        `no agreed leader among ${urls.join(', ')} within ${timeoutMs} ms (last: ${last})`,
      );
    await sleep(20);
  }
}

/** Polls the members in `urls` until one of them names a leader other than `notId` (and not "0"); resolves with that id. */
export async function newLeaderSeen(
  urls: readonly string[],
  notId: string,
  timeoutMs: number,
): Promise<string | undefined> {
  const deadline = performance.now() + timeoutMs;
  while (performance.now() < deadline) {
    const all = await Promise.all(urls.map((u) => memberStatus(u, 200)));
    const found = all.find((s) => s !== undefined && s.leaderId !== '0' && s.leaderId !== notId);
    if (found) return found.leaderId;
    await sleep(5);
  }
  return undefined;
}

/**
 * Asks the leader to hand leadership to `targetId` and waits until all members
 * agree on it. A transfer can be aborted (an election timeout on a loaded
 * machine, a leader change meanwhile): then it asks the current leader again,
 * until `timeoutMs` has passed.
 */
export async function transferLeadership(
  urls: readonly string[],
  leaderUrl: string,
  targetId: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  const remaining = (): number => Math.max(1, Math.ceil(deadline - performance.now()));
  let from = leaderUrl;
  let last = '';
  for (;;) {
    const res = await fetch(`${from}/v3/maintenance/transfer-leadership`, {
      method: 'POST',
      body: JSON.stringify({ targetID: targetId }),
      signal: AbortSignal.timeout(remaining()),
    }).catch((err: Error) => err);
    if (res instanceof Error) last = res.message;
    else if (!res.ok) last = `HTTP ${res.status} ${(await res.text()).slice(0, 200)}`;
    const index = await agreedLeader(urls, remaining());
    const s = await memberStatus(urls[index]!);
    if (s?.memberId === targetId) return;
    if (performance.now() > deadline) {
      throw new ClusterNotReadyError(
        `leadership did not move to ${targetId} within ${timeoutMs} ms (last answer: ${last || 'ok'})`,
      );
    }
    from = urls[index]!;
    await sleep(50);
  }
}

export async function waitHealthy(url: string, timeoutMs = 30_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if ((await memberStatus(url)) !== undefined) return;
    if (performance.now() > deadline)
      throw new ClusterNotReadyError(
        `${url} did not answer /v3/maintenance/status within ${timeoutMs} ms`,
      );
    await sleep(20);
  }
}
