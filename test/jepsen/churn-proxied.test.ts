// long-running: real processes (about 10 s). The point of `--peer-route`: a
// member removed and re-added under its name (data kept, process running) by
// the churn nemesis, announced with its REAL peer URL, is still reached only
// through the proxies, so a later partition cuts it. Without the routes every
// member would dial the announced URL and the partition below would not hold.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { memberIdOf } from '../../packages/server/src/cluster/member-id.js';
import { DEFAULT_BIN } from '../../packages/server/src/demo/process-cluster.js';
import { FlotillaTarget } from '../../jepsen/src/cluster/flotilla-target.js';
import { httpMemberApi } from '../../jepsen/src/cluster/flotilla-members.js';
import { awaitSettled, statusOf } from '../../jepsen/src/cluster/health.js';
import { pollUntil } from '../../jepsen/src/cluster/process.js';
import { cut } from '../../jepsen/src/nemesis/faults.js';

describe('churn keeps a re-added member behind the proxies', () => {
  it('removed and re-added with its real peer URL, it catches up, and a partition still cuts it off', async () => {
    if (!fs.existsSync(path.resolve(path.dirname(DEFAULT_BIN), '../dist/index.js')))
      throw new Error('no build: run `npx tsc -b tsconfig.build.json` first');
    const baseDir = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-churn-proxied-'));
    const target = await FlotillaTarget.create({ size: 3, baseDir });
    try {
      for (let i = 0; i < 3; i++) target.start(i);
      let leader = await awaitSettled(target, 30_000);
      expect(leader, 'an agreed leader').toBeDefined();
      // The lower id dials each connection; with the lowest-id member leading, the leader dials the re-added
      // member at whatever address it holds for it, so an unproxied address would carry the appends past the cut.
      const ids = target.names.map(memberIdOf);
      const lowest = ids.indexOf(Math.min(...ids));
      if (leader !== lowest) {
        const res = await fetch(`${target.clientUrl(leader!)}/v3/maintenance/transfer-leadership`, {
          method: 'POST',
          body: JSON.stringify({ targetID: String(ids[lowest]) }),
        });
        expect(res.status).toBe(200);
        leader = await awaitSettled(target, 30_000);
        expect(leader).toBe(lowest);
      }
      const victim = [0, 1, 2].find((i) => i !== leader)!;
      const others = [0, 1, 2].filter((i) => i !== victim);
      const api = httpMemberApi(target);
      const writer = target.client(leader!, { requestTimeoutMs: 2_000 });
      const revisionOf = async (node: number): Promise<number> =>
        (await statusOf(target, node))?.revision ?? -1;
      try {
        await api.remove(leader!, victim);
        expect(await api.voters(leader!)).not.toContain(target.names[victim]);
        await writer.put('while-out', '1');
        await api.add(leader!, victim);
        expect((await api.voters(leader!)).sort()).toEqual([...target.names].sort());
        const caughtUp = async (): Promise<boolean> =>
          (await revisionOf(victim)) === (await revisionOf(leader!));
        expect(await pollUntil(caughtUp, 15_000), 'the re-added member catches up').toBe(true);

        target.network.block(cut([victim], others));
        const before = await revisionOf(victim);
        for (let i = 0; i < 5; i++) await writer.put(`cut-${i}`, '1');
        expect(await revisionOf(leader!)).toBeGreaterThanOrEqual(before + 5);
        // Bounded: if any link bypassed the proxies the victim would apply these within a few heartbeats.
        expect(
          await pollUntil(async () => (await revisionOf(victim)) > before, 1_500),
          'the cut member saw no new write',
        ).toBe(false);
        target.network.heal();
        expect(await pollUntil(caughtUp, 15_000), 'after healing it catches up').toBe(true);
      } finally {
        await writer.close();
      }
    } finally {
      await target.close();
      fs.rmSync(baseDir, { recursive: true, force: true });
    }
  }, 90_000);
});
