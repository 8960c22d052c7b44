// The HTTP API over a real three-node cluster (in process, LevelDB + TCP):
// exactly-once headers, metrics, health, status and membership views.
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalCluster, type LocalCluster, type LocalMember } from '../src/index.js';
import {
  checkExposition,
  histogramSeries,
  type HistogramSeries,
} from '../../testkit/src/exposition-check.js';

let cluster: LocalCluster;
let leader: LocalMember;
let follower: LocalMember;

const b64 = (s: string): string => Buffer.from(s).toString('base64');

async function post(
  url: string,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${url}${path}`, { method: 'POST', body: JSON.stringify(body), headers });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

const revisionOf = (json: Record<string, unknown>): string =>
  (json['header'] as Record<string, string>)['revision']!;

async function until<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

beforeAll(async () => {
  cluster = await startLocalCluster({ size: 3 });
  leader = await cluster.leader();
  follower = cluster.members.find((m) => m !== leader)!;
});

afterAll(async () => {
  await cluster?.close();
});

describe('HTTP API over a real cluster', () => {
  it('registers a client id (seq 1) on /flotilla/session/register, applies a write retried with the same x-flotilla-client-id/seq once, and refuses an older seq', async () => {
    const headers = (seq: number) => ({
      'x-flotilla-client-id': 'http-test-client',
      'x-flotilla-seq': String(seq),
    });
    const registered = await post(follower.url, '/flotilla/session/register', {}, headers(1));
    const registeredAgain = await post(leader.url, '/flotilla/session/register', {}, headers(1));
    expect([registered.status, registeredAgain.status]).toEqual([200, 200]);
    expect(revisionOf(registeredAgain.json)).toBe(revisionOf(registered.json)); // changes no key
    const notFirst = await post(follower.url, '/flotilla/session/register', {}, headers(2));
    expect(notFirst.status).toBe(400);
    expect(String(notFirst.json['message'])).toContain('x-flotilla-seq: 1');
    const put = { key: b64('once'), value: b64('v') };
    const first = await post(follower.url, '/v3/kv/put', put, headers(2));
    const retry = await post(leader.url, '/v3/kv/put', put, headers(2));
    expect(first.status).toBe(200);
    expect(Number(revisionOf(first.json))).toBe(Number(revisionOf(registered.json)) + 1);
    expect(revisionOf(retry.json)).toBe(revisionOf(first.json));
    const next = await post(follower.url, '/v3/kv/put', put, headers(3));
    expect(Number(revisionOf(next.json))).toBe(Number(revisionOf(first.json)) + 1);
    const stale = await post(follower.url, '/v3/kv/put', put, headers(2));
    expect(stale.status).toBe(412);
    expect(stale.json['code']).toBe(9);
    const range = await post(follower.url, '/v3/kv/range', { key: b64('once') });
    expect((range.json['kvs'] as { version: string }[])[0]?.version).toBe('2');
  });

  it('lists the members with their names, peer and client URLs', async () => {
    const res = await post(follower.url, '/v3/cluster/member/list', {});
    const members = res.json['members'] as {
      ID: string;
      name: string;
      peerURLs: string[];
      clientURLs: string[];
    }[];
    expect(members.map((m) => m.name).sort()).toEqual(['n1', 'n2', 'n3']);
    expect(members.map((m) => m.clientURLs[0]).sort()).toEqual([...cluster.endpoints].sort());
    expect(members.find((m) => m.name === leader.name)?.ID).toBe(String(leader.id));
    expect((res.json['header'] as Record<string, string>)['revision']).toBeUndefined();
  });

  it('reports the leader, indexes and term in /v3/maintenance/status', async () => {
    const res = await post(follower.url, '/v3/maintenance/status', {});
    expect(res.json['leader']).toBe(String(leader.id));
    expect(Number(res.json['raftIndex'])).toBeGreaterThan(0);
    expect(Number(res.json['raftAppliedIndex'])).toBeGreaterThan(0);
    expect(res.json['version']).toMatch(/^flotilla-/);
  });

  it('serves health, readiness and /flotilla/status', async () => {
    expect((await fetch(`${follower.url}/health`)).status).toBe(200);
    expect(await (await fetch(`${follower.url}/readyz`)).json()).toEqual({ ready: true });
    const status = (await (await fetch(`${leader.url}/flotilla/status`)).json()) as {
      role: string;
      leaderId: number;
      term: number;
    };
    expect(status.role).toBe('leader');
    expect(status.leaderId).toBe(leader.id);
    expect(status.term).toBeGreaterThan(0);
  });

  it('exports commit latency, per-follower state latency by name, watchers and request counts in /metrics', async () => {
    for (let i = 0; i < 20; i++)
      await post(leader.url, '/v3/kv/put', { key: b64(`m/${i}`), value: b64('x') });
    const controller = new AbortController();
    const watch = await fetch(`${leader.url}/v3/watch`, {
      method: 'POST',
      body: JSON.stringify({ create_request: { key: b64('m/') } }),
      signal: controller.signal,
    });
    await watch.body!.getReader().read();
    const followerNames = cluster.members
      .filter((m) => m !== leader)
      .map((m) => m.name)
      .sort();
    const stateCount = (f: ReturnType<typeof checkExposition>, name: string): number =>
      histogramSeries(f.get('flotilla_state_latency_seconds')!).get(`{follower="${name}"}`)
        ?.count ?? 0;
    const text = await until('state latency for both followers', async () => {
      const t = await (await fetch(`${leader.url}/metrics`)).text();
      return followerNames.every((n) => stateCount(checkExposition(t), n) > 0) ? t : undefined;
    });
    controller.abort();
    // The whole page (prom-client's families, the node's) passes the strict exposition checks.
    const families = checkExposition(text);
    const one = (name: string): HistogramSeries => {
      const f = families.get(name);
      expect(f?.type, name).toBe('histogram');
      return histogramSeries(f!).get('')!;
    };
    // Latencies are histograms in seconds: the 20 puts were answered by the leader.
    expect(one('flotilla_commit_latency_seconds').count).toBeGreaterThanOrEqual(20);
    expect(one('flotilla_disk_wal_fsync_duration_seconds').count).toBeGreaterThan(0);
    expect(one('flotilla_disk_backend_commit_duration_seconds').count).toBeGreaterThan(0);
    expect(families.get('flotilla_failover_rto_seconds')?.type).toBe('histogram');
    // Followers are labelled with their member names, not ids.
    expect(
      [...histogramSeries(families.get('flotilla_state_latency_seconds')!).keys()].sort(),
    ).toEqual(followerNames.map((n) => `{follower="${n}"}`));
    expect(text).toContain('flotilla_watchers 1');
    expect(text).toMatch(/flotilla_http_requests_total\{path="\/v3\/kv\/put",status="200"\} (\d+)/);
    expect(text).toContain('flotilla_server_is_leader 1');
    expect(text).toContain('flotilla_server_has_leader 1');
    expect(text).toMatch(/flotilla_apply_lag_entries \d+/);
    expect(text).toMatch(
      new RegExp(`flotilla_follower_apply_lag_entries\\{follower="${followerNames[0]}"\\} \\d+`),
    );
    expect(families.get('flotilla_server_leader_changes_seen_total')?.type).toBe('counter');
    expect(text).toMatch(/flotilla_server_leader_changes_seen_total [1-9]/);
    expect(
      Number(/flotilla_server_proposals_committed_total (\d+)/.exec(text)?.[1]),
    ).toBeGreaterThanOrEqual(20);
    expect(text).toMatch(/flotilla_server_proposals_applied_total \d+/);
    expect(text).toMatch(/flotilla_server_proposals_pending \d+/);
    expect(text).toMatch(/flotilla_server_proposals_failed_total \d+/);
    expect(families.get('flotilla_mvcc_db_total_size_in_bytes')?.type).toBe('gauge');
    // The Grafana dashboard in docs/ queries only metrics this page has (the backup scheduler's are appended when one runs).
    const dashboard = await readFile(
      new URL('../../../docs/grafana-dashboard.json', import.meta.url),
      'utf8',
    );
    const queried = new Set(
      [
        ...dashboard.matchAll(
          /\b((?:flotilla|nodejs|process)_[a-z_]+?)(?:_bucket|_sum|_count)?\b/g,
        ),
      ].map((m) => m[1]!),
    );
    const missing = [...queried].filter(
      (name) => !name.startsWith('flotilla_backup_') && !families.has(name),
    );
    expect(missing).toEqual([]);
    expect(queried.size).toBeGreaterThan(15);
    // Process metrics: memory and event-loop delay (a blocked loop means missed heartbeats).
    expect(Number(/process_resident_memory_bytes (\d+)/.exec(text)?.[1])).toBeGreaterThan(1e6);
    expect(text).toMatch(/nodejs_heap_size_used_bytes \d+/);
    expect(text).toMatch(/nodejs_eventloop_lag_p99_seconds [\d.e-]+/);
    await until('the watcher gauge to drop', async () =>
      (await (await fetch(`${leader.url}/metrics`)).text()).includes('flotilla_watchers 0')
        ? true
        : undefined,
    );
  });

  it('records the last failover RTO once the leader is gone', async () => {
    await leader.node.crash();
    await leader.server.close();
    const survivor = follower;
    await until('a new leader', async () => {
      const st = (await (await fetch(`${survivor.url}/flotilla/status`)).json()) as {
        leaderId: number;
      };
      return st.leaderId !== 0 && st.leaderId !== leader.id ? true : undefined;
    });
    const text = await until('a failover RTO', async () => {
      const t = await (await fetch(`${survivor.url}/metrics`)).text();
      const value = Number(/flotilla_last_failover_rto_seconds ([\d.e-]+)/.exec(t)?.[1] ?? 0);
      return value > 0 ? t : undefined;
    });
    const rto = Number(/flotilla_last_failover_rto_seconds ([\d.e-]+)/.exec(text)?.[1]);
    expect(rto).toBeGreaterThan(0);
    expect(rto).toBeLessThan(10);
    // The failover is also an observation of the RTO histogram (its sum is that one failover, or more).
    const h = histogramSeries(checkExposition(text).get('flotilla_failover_rto_seconds')!).get('')!;
    expect(h.count).toBeGreaterThanOrEqual(1);
    expect(h.sum).toBeGreaterThanOrEqual(rto);
  });
});
