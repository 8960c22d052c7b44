// The churn nemesis without processes: who it removes and through whom, when
// it refuses to remove, how it re-adds (bounded, idempotent), that failures
// land in the report rather than crash the run, and the process flags that
// keep a re-added member behind the proxies.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Network } from '../../jepsen/src/cluster/network.js';
import type { Target } from '../../jepsen/src/cluster/target.js';
import { FlotillaTarget } from '../../jepsen/src/cluster/flotilla-target.js';
import {
  Churn,
  churnPlan,
  CHURN_VOTERS_MIN,
  READD_ATTEMPTS_MAX,
  refuseRemoval,
  type MemberApi,
} from '../../jepsen/src/nemesis/churn.js';
import {
  resolveNemeses,
  scheduleFaults,
  UnknownNemesisError,
} from '../../jepsen/src/nemesis/faults.js';
import { Nemesis } from '../../jepsen/src/nemesis/nemesis.js';
import { ChurnUnsupportedError, runTest } from '../../jepsen/src/run.js';
import { seededRng } from '../../jepsen/src/rng.js';
import { parsePeerRoutes } from '../../packages/server/src/cli/config.js';

const NAMES = ['n1', 'n2', 'n3'];

/** An in-memory membership: voters by name, every call logged; `failNext` makes the next calls of a kind throw. */
function fakeMembers(
  names = NAMES,
): MemberApi & { voterSet: Set<string>; calls: string[]; failNext: Map<string, number> } {
  const voterSet = new Set(names);
  const calls: string[] = [];
  const failNext = new Map<string, number>();
  const maybeFail = (kind: string): void => {
    const n = failNext.get(kind) ?? 0;
    if (n > 0) {
      failNext.set(kind, n - 1);
      throw new Error(`${kind} timed out`);
    }
  };
  return {
    voterSet,
    calls,
    failNext,
    async voters(via) {
      calls.push(`list via ${names[via]}`);
      maybeFail('list');
      return [...voterSet];
    },
    async remove(via, victim) {
      calls.push(`remove ${names[victim]} via ${names[via]}`);
      maybeFail('remove');
      voterSet.delete(names[victim]!);
    },
    async add(via, victim) {
      calls.push(`add ${names[victim]} via ${names[via]}`);
      maybeFail('add');
      voterSet.add(names[victim]!);
    },
  };
}

const noSleep = async (): Promise<void> => undefined;

describe('churn: picking', () => {
  it('churn-one removes a seeded node (the leader too, over many picks) and asks another one; churn-leader removes the leader', () => {
    const victims = new Set<number>();
    for (let pick = 0; pick < 500; pick += 3) {
      const { victim, via } = churnPlan(3, pick, undefined);
      expect(via).not.toBe(victim);
      expect([0, 1, 2]).toContain(via);
      victims.add(victim);
      expect(churnPlan(3, pick, undefined)).toEqual({ victim, via }); // replayable from the pick
    }
    expect([...victims].sort()).toEqual([0, 1, 2]);
    for (let pick = 0; pick < 50; pick++) {
      const plan = churnPlan(5, pick, 4);
      expect(plan.victim).toBe(4);
      expect(plan.via).not.toBe(4);
    }
  });

  it('the churn group names both kinds, and the schedule draws them like any other fault', () => {
    const kinds = resolveNemeses(['churn', 'partition-halves']);
    expect(kinds).toEqual(['churn-one', 'churn-leader', 'partition-halves']);
    const windows = scheduleFaults(seededRng(9), { kinds, durationMs: 120_000 });
    expect(new Set(windows.map((w) => w.kind))).toEqual(new Set(kinds));
    for (const [a, b] of windows.slice(1).map((w, i) => [windows[i]!, w] as const))
      expect(b.startMs).toBeGreaterThan(a.endMs); // one at a time
    expect(() => resolveNemeses(['churning'])).toThrow(UnknownNemesisError);
  });
});

describe('churn: refusals', () => {
  it(`never leaves fewer than ${CHURN_VOTERS_MIN} voters, never removes a non-voter, never while a removal is outstanding`, () => {
    expect(refuseRemoval(['n1', 'n2', 'n3'], 'n2', undefined)).toBeUndefined();
    expect(refuseRemoval(['n1', 'n2'], 'n2', undefined)).toMatch(/leave 1 voter/);
    expect(refuseRemoval(['n1', 'n3'], 'n2', undefined)).toMatch(/not a voter/);
    expect(refuseRemoval(['n1', 'n2', 'n3'], 'n2', 'n3')).toMatch(/n3 is still out/);
  });

  it('a second removal waits until the first member is back', async () => {
    const api = fakeMembers();
    api.failNext.set('add', READD_ATTEMPTS_MAX);
    const churn = new Churn(api, NAMES, noSleep);
    expect((await churn.remove(2, 0)).nodes).toEqual([2]);
    expect(await churn.readd()).toMatch(/re-add FAILED after 5 attempts.*n3 stays out/);
    expect(churn.outstanding).toBe(2);
    const second = await churn.remove(1, 0);
    expect(second).toEqual({
      nodes: [],
      detail: 'no removal: n3 is still out of the cluster (its re-add has not succeeded)',
    });
    expect(api.calls.filter((c) => c.startsWith('remove'))).toEqual(['remove n3 via n1']);
    expect(await churn.readd(true)).toBe('re-added n3 via n1 (attempt 1)');
    expect([...api.voterSet].sort()).toEqual(NAMES);
  });
});

describe('churn: re-add', () => {
  it('re-adds under the same name through another member, and only once', async () => {
    const api = fakeMembers();
    const churn = new Churn(api, NAMES, noSleep);
    expect(await churn.remove(0, 1)).toEqual({
      nodes: [0],
      detail: 'removed n1 via n2 (voters were n1, n2, n3); it keeps running',
    });
    expect(api.voterSet.has('n1')).toBe(false);
    expect(await churn.readd()).toBe('re-added n1 via n2 (attempt 1)');
    expect(await churn.readd()).toBe(''); // nothing outstanding
    expect(api.calls).toEqual(['list via n2', 'remove n1 via n2', 'list via n2', 'add n1 via n2']);
  });

  it('a failed or timed-out remove is reported, not thrown, and re-add first checks whether it happened', async () => {
    const api = fakeMembers();
    api.failNext.set('remove', 1);
    const churn = new Churn(api, NAMES, noSleep);
    const step = await churn.remove(1, 2);
    expect(step.detail).toBe(
      'remove n2 via n3 failed or timed out (remove timed out); treated as possibly removed',
    );
    expect(churn.outstanding).toBe(1);
    expect(await churn.readd()).toBe('every member is a voter');
    expect(api.calls.some((c) => c.startsWith('add'))).toBe(false);
    expect(churn.outstanding).toBeUndefined();
  });

  it('retries a failing add through the other members in turn, at most READD_ATTEMPTS_MAX times', async () => {
    const api = fakeMembers();
    const churn = new Churn(api, NAMES, noSleep);
    await churn.remove(1, 0);
    api.failNext.set('add', 2);
    expect(await churn.readd()).toBe(
      're-added n2 via n1 (attempt 3) (after: attempt 1 via n1: add timed out; attempt 2 via n3: add timed out)',
    );
    expect(api.calls.filter((c) => c.startsWith('add'))).toEqual([
      'add n2 via n1',
      'add n2 via n3',
      'add n2 via n1',
    ]);
  });

  it('the final heal re-adds any member missing from the voters, also one whose removal committed after the window looked', async () => {
    const api = fakeMembers();
    const churn = new Churn(api, NAMES, noSleep);
    api.voterSet.delete('n3'); // a late commit of a timed-out removal
    expect(await churn.readd(false)).toBe('');
    expect(await churn.readd(true)).toBe('re-added n3 via n1 (attempt 1)');
  });
});

/** A target whose processes are imaginary (never asked for status): the nemesis picks from the window. */
function quietTarget(): Target {
  return {
    kind: 'flotilla',
    clientKind: 'http',
    size: 3,
    network: new Network(3),
    names: NAMES,
    memberIndex: new Map(),
    client: () => {
      throw new Error('no client in this test');
    },
    start: () => undefined,
    signal: async () => undefined,
    isRunning: () => false,
    logFile: () => '/dev/null',
    close: async () => undefined,
  };
}

describe('churn nemesis', () => {
  it('removes at the window start, re-adds at its end, and writes both in the fault', async () => {
    const api = fakeMembers();
    const nemesis = new Nemesis(quietTarget(), () => 0, api);
    await nemesis.run([{ kind: 'churn-one', startMs: 0, endMs: 0, pick: 4 }], () => false);
    const { victim, via } = churnPlan(3, 4, undefined);
    expect(nemesis.applied).toHaveLength(1);
    expect(nemesis.applied[0]!.nodes).toEqual([NAMES[victim]]);
    expect(nemesis.applied[0]!.detail).toBe(
      `removed ${NAMES[victim]} via ${NAMES[via]} (voters were n1, n2, n3); it keeps running; at heal: re-added ${NAMES[victim]} via ${NAMES[via]} (attempt 1)`,
    );
    expect([...api.voterSet].sort()).toEqual(NAMES);
  });

  it('churn on a target without membership changes is a setup error; --target etcd is refused before anything starts', async () => {
    const nemesis = new Nemesis(quietTarget(), () => 0);
    await expect(
      nemesis.run([{ kind: 'churn-leader', startMs: 0, endMs: 0, pick: 1 }], () => false),
    ).rejects.toThrow(/needs a target with membership changes/);
    await expect(
      runTest({
        target: 'etcd',
        nodes: 3,
        workloads: ['register'],
        nemeses: ['churn'],
        timeS: 1,
        seed: 1,
        outDir: '/nonexistent/churn-refused-before-any-file',
      }),
    ).rejects.toBeInstanceOf(ChurnUnsupportedError);
  });
});

describe('FlotillaTarget flags', () => {
  it('every process gets the real peer URLs as its cluster and a --peer-route through its own proxy for every other member', async () => {
    const baseDir = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-churn-flags-'));
    const target = await FlotillaTarget.create({ size: 3, baseDir });
    try {
      const routesOf = (node: number): Map<string, string> => {
        const args = target.startArgs(node);
        const routes = parsePeerRoutes(args[args.indexOf('--peer-route') + 1]!, NAMES[node]!);
        return new Map(routes.map((r) => [r.name, r.url]));
      };
      const cluster = target.startArgs(0)[target.startArgs(0).indexOf('--initial-cluster') + 1];
      expect(cluster).toBe(NAMES.map((n, i) => `${n}=${target.peerUrl(i)}`).join(','));
      for (let i = 0; i < 3; i++) {
        const routes = routesOf(i);
        expect([...routes.keys()].sort()).toEqual(NAMES.filter((_, j) => j !== i));
        // Each route is a proxy (not the real URL), and no two processes share one: every ordered pair has its own.
        for (const [name, url] of routes) expect(url).not.toBe(target.peerUrl(NAMES.indexOf(name)));
      }
      const all = [0, 1, 2].flatMap((i) => [...routesOf(i).values()]);
      expect(new Set(all).size).toBe(6);
    } finally {
      await target.close();
      fs.rmSync(baseDir, { recursive: true, force: true });
    }
  });
});
