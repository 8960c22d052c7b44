// What the real-process jepsen tests share: the build they need and a
// failure message that says how to replay the run and where its report is.
import fs from 'node:fs';
import path from 'node:path';
import { DEFAULT_BIN } from '../../packages/server/src/demo/process-cluster.js';
import type { RunVerdict } from '../../jepsen/src/run.js';

/** Throws unless the `flotilla` bin's build exists (the targets run dist/). */
export function requireBuild(): void {
  const dist = path.resolve(path.dirname(DEFAULT_BIN), '../dist/index.js');
  if (!fs.existsSync(dist))
    throw new Error(
      `no build at ${dist}: run \`npx tsc -b tsconfig.build.json\` (pnpm test does) before these tests`,
    );
}

/** The replay command, report path, each workload's verdict and stats, and the notes. */
export function summary(v: RunVerdict): string {
  return `${v.replay}\nreport: ${v.reportFile}\n${v.workloads.map((w) => `${w.workload}: ${String(w.valid)} ${JSON.stringify(w.stats)}\n${w.anomalies.join('\n').slice(0, 3_000)}`).join('\n')}\nnotes: ${v.notes.join('; ')}`;
}
