#!/usr/bin/env node
// `pnpm mutation <area> [--all | mutate globs or file:startLine-endLine ...]`:
// one StrykerJS run over one area (tools/mutation/areas.js): by default its
// safety-relevant ranges, with --all the whole area, or the given files/ranges.
//
// Stryker's command runner is used, not its vitest runner: with vitest 5 the
// vitest runner reports 0 tests per mutant (every mutant "survives"). The
// command runner starts vitest once per mutant and activates the mutant through
// the __STRYKER_ACTIVE_MUTANT__ environment variable that the instrumented
// code reads, so it does not depend on vitest's internals. The run is in place
// (the sources are instrumented and restored afterwards) because the workspace
// packages resolve each other through pnpm's symlinks, which a sandbox copy
// would point back at the unmutated sources.
import { Stryker } from '@stryker-mutator/core';
import { areas } from './areas.js';
import { resolveMutate } from './ranges.js';

const [area, ...only] = process.argv.slice(2);
const spec = areas[area];
if (!spec) {
  console.error(
    `usage: pnpm mutation <${Object.keys(areas).join('|')}> [--all | mutate glob or file:startLine-endLine ...]`,
  );
  process.exit(2);
}

const vitest = [
  'node_modules/.bin/vitest',
  'run',
  '--bail=1',
  '--reporter=dot',
  '--pool=threads',
  '--no-isolate',
  ...spec.tests,
];

const stryker = new Stryker({
  mutate: only[0] === '--all' ? spec.all : only.length > 0 ? only : resolveMutate(spec.mutate),
  testRunner: 'command',
  commandRunner: { command: vitest.join(' ') },
  inPlace: true,
  concurrency: 1,
  timeoutMS: spec.timeoutMs ?? 30_000,
  // TypeScript 7 has no JS API, so Stryker's tsconfig preprocessor would crash;
  // a tsconfig that does not exist makes it skip.
  tsconfigFile: 'tools/mutation/no-tsconfig.json',
  // Vitest strips types without checking them, so Stryker need not add
  // `// @ts-nocheck` to every source and test file (in place, that would touch
  // files outside the mutated ones and restore them at the end, undoing edits
  // made during a run).
  disableTypeChecks: false,
  coverageAnalysis: 'off',
  reporters: ['clear-text', 'progress-append-only', 'json', 'html'],
  jsonReporter: { fileName: `reports/mutation/${area}.json` },
  htmlReporter: { fileName: `reports/mutation/${area}.html` },
  // No incremental mode: the command runner reports one test ("All tests"),
  // so Stryker would reuse every old result after a test file changed.
  // One temp dir per area, so two areas can run at once: each run deletes its
  // temp dir (with the backup it restores from) when it ends.
  tempDirName: `.stryker-tmp/${area}`,
  cleanTempDir: true,
});
await stryker.runMutationTest();
