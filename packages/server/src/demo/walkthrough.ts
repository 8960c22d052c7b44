// The demo's steps. Each step prints what it shows and checks it; a failed
// check throws, so `pnpm demo` exits non-zero in CI.
import { setTimeout as delay } from 'node:timers/promises';
import type { StatusReport } from '../http/report.js';
import type { ProcessCluster, ProcessMember } from './process-cluster.js';
import { authHeaders, b64, pollUntil, post, status, unb64 } from './probe.js';
import type { LiveTable } from './status-table.js';

export interface WalkthroughDeps {
  readonly cluster: ProcessCluster;
  readonly names: ReadonlyMap<number, string>;
  readonly live: LiveTable;
  readonly render: () => Promise<string>;
  readonly print: (line: string) => void;
  /** Runs once the cluster has a leader, before the first write (--secure: users, roles, auth enable). */
  readonly afterElection?: (leader: ProcessMember) => Promise<void>;
}

const PREFIX = 'demo/';
const WATCHED_WRITES = 30;
const LATENCY_WRITES = 100;

export class Walkthrough {
  /** Every write a member acknowledged: key → value. All must be on every member at the end. */
  private readonly acked = new Map<string, string>();
  private writeSeq = 0;

  constructor(private readonly d: WalkthroughDeps) {}

  async run(): Promise<void> {
    const started = Date.now();
    const leader = await this.election();
    await this.d.afterElection?.(leader);
    await this.writesAndWatch();
    await this.readEverywhere();
    const rtoMs = await this.failover(leader);
    await this.restartAndCatchUp(leader);
    await this.verifyNothingLost();
    this.d.print('');
    this.d.print(await this.d.render());
    this.d.print('');
    this.d.print(
      `Summary: failover RTO ${rtoMs} ms; ${this.acked.size} acknowledged writes, all present on every member; demo took ${((Date.now() - started) / 1000).toFixed(1)} s.`,
    );
  }

  private step(title: string): void {
    this.d.print('');
    this.d.print(`== ${title}`);
  }

  private running(): ProcessMember[] {
    return this.d.cluster.members.filter((m) => this.d.cluster.isRunning(m.name));
  }

  private name(id: number): string {
    return this.d.names.get(id) ?? String(id);
  }

  /** The leader every running member agrees on, once there is one. */
  private async agreedLeader(
    timeoutMs: number,
  ): Promise<{ member: ProcessMember; report: StatusReport }> {
    return pollUntil('the members to agree on a leader', timeoutMs, async () => {
      const members = this.running();
      const reports = await Promise.all(members.map((m) => status(m.clientUrl)));
      const first = reports[0];
      if (
        !first ||
        first.leaderId === 0 ||
        reports.some((r) => !r || r.leaderId !== first.leaderId)
      )
        return undefined;
      const index = reports.findIndex((r) => r?.role === 'leader');
      const member = members[index];
      return member && reports[index] ? { member, report: reports[index]! } : undefined;
    });
  }

  private async put(
    member: ProcessMember,
    key: string,
    value: string,
    timeoutMs = 2_000,
  ): Promise<number> {
    const res = await post(
      member.clientUrl,
      '/v3/kv/put',
      { key: b64(key), value: b64(value) },
      timeoutMs,
    );
    this.acked.set(key, value);
    return Number((res['header'] as Record<string, string>)['revision']);
  }

  private async election(): Promise<ProcessMember> {
    this.step('1. Start three members and elect a leader');
    const t0 = Date.now();
    this.d.cluster.startAll();
    for (const m of this.d.cluster.members)
      this.d.print(`   started ${m.name}: peers on ${m.peerUrl}, clients on ${m.clientUrl}`);
    this.d.live.start();
    await this.d.cluster.waitHealthy(30_000);
    const { member, report } = await this.agreedLeader(30_000);
    this.d.live.stop();
    this.d.print(await this.d.render());
    this.d.print(
      `   ${member.name} was elected leader in term ${report.term}, ${Date.now() - t0} ms after the processes were spawned.`,
    );
    return member;
  }

  private async writesAndWatch(): Promise<void> {
    this.step(
      `2. Write ${WATCHED_WRITES} keys through all three members while a watch follows them`,
    );
    const members = this.running();
    const watcher = members[members.length - 1]!;
    const controller = new AbortController();
    const res = await fetch(`${watcher.clientUrl}/v3/watch`, {
      method: 'POST',
      body: JSON.stringify({ create_request: { key: b64(PREFIX), range_end: b64('demo0') } }),
      headers: authHeaders(),
      signal: controller.signal,
    });
    if (!res.body) throw new Error('the watch stream has no body');
    const seen: { key: string; revision: number }[] = [];
    const reading = (async () => {
      const decoder = new TextDecoder();
      let buffer = '';
      for await (const chunk of res.body!) {
        buffer += decoder.decode(chunk, { stream: true });
        let nl: number;
        while ((nl = buffer.indexOf('\n')) >= 0) {
          const line = JSON.parse(buffer.slice(0, nl)) as {
            result?: { events?: { kv: { key: string; mod_revision: string } }[] };
          };
          buffer = buffer.slice(nl + 1);
          for (const e of line.result?.events ?? [])
            seen.push({ key: unb64(e.kv.key), revision: Number(e.kv.mod_revision) });
        }
        if (seen.length >= WATCHED_WRITES) return;
      }
    })().catch((err: unknown) => {
      if ((err as Error).name !== 'AbortError') throw err;
    });
    // The first line ("created") arrives once the watch is registered; writes after that are never missed.
    await delay(100);
    const t0 = Date.now();
    for (let i = 0; i < WATCHED_WRITES; i++) {
      const via = members[i % members.length]!;
      await this.put(
        via,
        `${PREFIX}key-${String(++this.writeSeq).padStart(4, '0')}`,
        `value-${this.writeSeq}`,
      );
    }
    const writeMs = Date.now() - t0;
    await pollUntil('the watch to see every write', 10_000, async () =>
      seen.length >= WATCHED_WRITES ? true : undefined,
    );
    controller.abort();
    await reading;
    const ordered = seen.every((e, i) => i === 0 || e.revision > seen[i - 1]!.revision);
    if (!ordered) throw new Error('watch events arrived out of revision order');
    this.d.print(
      `   ${WATCHED_WRITES} writes acknowledged in ${writeMs} ms (followers forward writes to the leader).`,
    );
    this.d.print(
      `   The watch on ${watcher.name} saw all ${seen.length} events, in revision order (revisions ${seen[0]?.revision}..${seen[seen.length - 1]?.revision}).`,
    );
  }

  private async readEverywhere(): Promise<void> {
    this.step('3. Read the keys back from every member');
    for (const m of this.running()) {
      for (const serializable of [false, true]) {
        const res = await post(m.clientUrl, '/v3/kv/range', {
          key: b64(PREFIX),
          range_end: b64('demo0'),
          count_only: true,
          serializable,
        });
        const count = Number(res['count'] ?? 0);
        const kind = serializable ? 'serializable (local state)' : 'linearizable (ReadIndex)';
        if (!serializable && count !== this.acked.size)
          throw new Error(
            `${m.name} returned ${count} keys on a linearizable read, expected ${this.acked.size}`,
          );
        this.d.print(`   ${m.name}: ${count} keys, ${kind} read`);
      }
    }
  }

  private async failover(leader: ProcessMember): Promise<number> {
    this.step(`4. Kill the leader (${leader.name}) with SIGKILL and measure the failover`);
    const survivors = this.d.cluster.members.filter((m) => m !== leader);
    this.d.live.start();
    const killedAt = Date.now();
    await this.d.cluster.kill(leader.name, 'SIGKILL');
    // RTO as a client sees it: from the kill to the first write a surviving member acknowledges.
    let rtoMs = -1;
    let attempt = 0;
    while (rtoMs < 0) {
      if (Date.now() - killedAt > 20_000)
        throw new Error('no write was acknowledged within 20 s of killing the leader');
      const via = survivors[attempt++ % survivors.length]!;
      const key = `${PREFIX}failover-${String(attempt).padStart(4, '0')}`;
      try {
        // A short timeout per attempt: a survivor may still forward to the dead leader until it notices.
        await this.put(via, key, `written-during-failover-${attempt}`, 250);
        rtoMs = Date.now() - killedAt;
      } catch {
        // Not acknowledged: no leader yet, or the outcome is unknown. Unacknowledged writes are not counted.
        await delay(10);
      }
    }
    const { member, report } = await this.agreedLeader(10_000);
    this.d.live.stop();
    this.d.print(await this.d.render());
    this.d.print(`   ${member.name} is the new leader (term ${report.term}).`);
    this.d.print(
      `   RTO: ${rtoMs} ms from SIGKILL to the first acknowledged write through a surviving member.`,
    );
    const nodeRto = (await Promise.all(survivors.map((m) => status(m.clientUrl))))
      .map((r) => r?.lastRtoMs)
      .filter((x): x is number => typeof x === 'number');
    if (nodeRto.length > 0)
      this.d.print(
        `   The members measured ${nodeRto.map((x) => `${Math.round(x)} ms`).join(' and ')} without a usable leader (from the last heartbeat).`,
      );
    for (let i = 0; i < 10; i++)
      await this.put(
        survivors[i % 2]!,
        `${PREFIX}key-${String(++this.writeSeq).padStart(4, '0')}`,
        `value-${this.writeSeq}`,
      );
    this.d.print(
      `   10 more writes acknowledged by the two remaining members (a majority of three).`,
    );
    return rtoMs;
  }

  private async restartAndCatchUp(old: ProcessMember): Promise<void> {
    this.step(`5. Restart ${old.name} and watch it catch up`);
    const restartedAt = Date.now();
    this.d.cluster.start(old.name);
    this.d.live.start();
    const { member: leader, report } = await this.agreedLeader(20_000);
    const target = report.commitIndex;
    await pollUntil(`${old.name} to apply index ${target}`, 20_000, async () => {
      const s = await status(old.clientUrl);
      return s && s.appliedIndex >= target ? s : undefined;
    });
    const caughtUp = `   ${old.name} rejoined as a follower and applied up to index ${target} in ${Date.now() - restartedAt} ms (including process start).`;
    for (let i = 0; i < LATENCY_WRITES; i++) {
      const via = this.running()[i % 3]!;
      await this.put(
        via,
        `${PREFIX}key-${String(++this.writeSeq).padStart(4, '0')}`,
        `value-${this.writeSeq}`,
      );
    }
    await delay(200);
    this.d.live.stop();
    const leaderReport = await status(leader.clientUrl);
    this.d.print(caughtUp);
    this.d.print(await this.d.render());
    this.d.print(
      `   State latency (leader commit → follower apply), measured by the leader ${leader.name} since it took over`,
    );
    this.d.print(
      `   (${old.name}'s p99 includes the entries it applied while catching up after the restart):`,
    );
    for (const [id, l] of Object.entries(leaderReport?.stateLatency ?? {})) {
      this.d.print(
        `     ${this.name(Number(id))}: p50 ${l.p50Ms.toFixed(2)} ms, p99 ${l.p99Ms.toFixed(2)} ms (${l.count} samples)`,
      );
    }
    if (Object.keys(leaderReport?.stateLatency ?? {}).length === 0)
      throw new Error('the leader reported no state latency for its followers');
  }

  private async verifyNothingLost(): Promise<void> {
    this.step('6. Check that every acknowledged write is on every member');
    const leader = await this.agreedLeader(10_000);
    const target = leader.report.commitIndex;
    for (const m of this.running()) {
      await pollUntil(`${m.name} to apply index ${target}`, 10_000, async () => {
        const s = await status(m.clientUrl);
        return s && s.appliedIndex >= target ? true : undefined;
      });
      const res = await post(
        m.clientUrl,
        '/v3/kv/range',
        { key: b64(PREFIX), range_end: b64('demo0'), serializable: true },
        5_000,
      );
      const stored = new Map(
        ((res['kvs'] as { key: string; value: string }[] | undefined) ?? []).map((kv) => [
          unb64(kv.key),
          unb64(kv.value),
        ]),
      );
      const missing = [...this.acked].filter(([k, v]) => stored.get(k) !== v);
      if (missing.length > 0)
        throw new Error(
          `${m.name} is missing ${missing.length} acknowledged writes, e.g. ${missing[0]![0]}`,
        );
      this.d.print(
        `   ${m.name}: all ${this.acked.size} acknowledged writes present (local read).`,
      );
    }
  }
}
