// Scenario 6: ablations on flotilla-embedded, one change at a time, each on a
// fresh cluster: group commit off, pipeline depth 1, parallel leader write
// off, the KV write before the answer, TCP noDelay off. The change applies to the in-process member, which
// leads (the child processes keep `flotilla start`'s defaults): these are
// leader-side mechanisms. Each variant runs the sequential puts and the
// 64-client throughput step; the leader's entries per fsync are recorded.
import type { NodeOptions } from '@flotilla/node';
import type { RunContext, LoadRecord } from '../context.js';
import { round } from '../histogram.js';
import { startTarget } from '../targets.js';
import { sequentialPuts, throughputSweep } from './puts.js';

export interface AblationVariant {
  readonly name: string;
  readonly change: string;
  readonly nodeOptions?: NodeOptions;
  readonly noDelay?: boolean;
}

export const VARIANTS: readonly AblationVariant[] = [
  { name: 'baseline', change: 'none' },
  {
    name: 'group commit off',
    change: 'groupCommit: false (one proposal per batch, one fsync per write)',
    nodeOptions: { groupCommit: false },
  },
  {
    name: 'pipeline depth 1',
    change: 'maxInflightMsgs: 1 (one append in flight per follower)',
    nodeOptions: { maxInflightMsgs: 1 },
  },
  {
    name: 'parallel leader write off',
    change: "parallelLeaderWrite: false (appends sent after the leader's fsync)",
    nodeOptions: { parallelLeaderWrite: false },
  },
  {
    name: 'KV write before the answer',
    change: 'answerBeforeKvWrite: false (a write is answered only after its KV batch is written)',
    nodeOptions: { answerBeforeKvWrite: false },
  },
  {
    name: 'noDelay off',
    change: "tcp.noDelay: false (Nagle on the leader's peer sockets)",
    noDelay: false,
  },
];

export interface AblationResult {
  readonly name: string;
  readonly change: string;
  readonly sequential: LoadRecord;
  readonly at64: LoadRecord;
  /** Mean entries per synced write on the leader during the 64-client step. */
  readonly entriesPerFsync: number;
}

const ABLATION_CLIENTS = 64;

export async function ablations(ctx: RunContext): Promise<AblationResult[]> {
  const out: AblationResult[] = [];
  const variants =
    ctx.settings.mode === 'smoke'
      ? VARIANTS.filter((v) => v.name === 'baseline' || v.name === 'group commit off')
      : VARIANTS;
  for (const v of variants) {
    const t = await startTarget({
      name: 'flotilla-embedded',
      baseDir: ctx.dataDir,
      ...(v.nodeOptions ? { nodeOptions: v.nodeOptions } : {}),
      ...(v.noDelay !== undefined ? { tcp: { noDelay: v.noDelay } } : {}),
    });
    try {
      ctx.progress.begin(`ablation: ${v.name}`);
      const sequential = await sequentialPuts(t, ctx);
      const before = t.node!.status().metrics.entriesPerFsync;
      const [at64] = await throughputSweep(t, {
        ...ctx,
        settings: { ...ctx.settings, clients: [ABLATION_CLIENTS], rate: 0 },
      });
      const after = t.node!.status().metrics.entriesPerFsync;
      const fsyncs = after.count - before.count;
      const entriesPerFsync =
        fsyncs > 0 ? round((after.mean * after.count - before.mean * before.count) / fsyncs) : 0;
      // The switch must do what it says: without group commit each synced write holds one entry.
      if (v.name === 'group commit off' && entriesPerFsync > 1.0001)
        ctx.failures.push(
          `ablation "group commit off" still batched ${entriesPerFsync} entries per fsync`,
        );
      out.push({ name: v.name, change: v.change, sequential, at64: at64!, entriesPerFsync });
      ctx.progress.note(`${v.name}: entries per fsync ${entriesPerFsync}`);
    } finally {
      await t.close();
    }
  }
  return out;
}
