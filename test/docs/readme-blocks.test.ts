// Every ts/js/sh block of README.md, the package READMEs, docs/deploy.md and docs/security.md
// runs, or is marked `<!-- not-run: reason -->` (a partial snippet, a command
// that runs for minutes, ...). An unmarked block that fails fails here; see
// run-block.ts for how each kind runs and the `<!-- run: ... -->` options.
// Needs the build (`pnpm test` builds first): sh blocks run the built CLI.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { extractBlocks, RUNNABLE_LANGS } from './blocks.js';
import { runBlock, type BlockEnv } from './run-block.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BLOCK_TIMEOUT_MS = 90_000;
const FILES = [
  'README.md',
  ...fs.readdirSync(path.join(ROOT, 'packages')).map((p) => `packages/${p}/README.md`),
  'docs/deploy.md',
  'docs/security.md',
].filter((f) => fs.existsSync(path.join(ROOT, f)));

const env: BlockEnv = {
  resolveDir: path.join(ROOT, 'test/docs/.run'),
  nodeFlags: ['--conditions=source'],
  flotillaBin: path.join(ROOT, 'packages/server/bin/flotilla.js'),
  repoRoot: ROOT,
};

function tail(text: string, lines = 40): string {
  return text.split('\n').slice(-lines).join('\n');
}

for (const file of FILES) {
  const blocks = extractBlocks(fs.readFileSync(path.join(ROOT, file), 'utf8'), file).filter(
    (b) => RUNNABLE_LANGS.has(b.lang) && b.marker?.kind !== 'not-run',
  );
  if (blocks.length === 0) continue;
  describe(file, () => {
    for (const block of blocks) {
      it(
        `block at line ${block.line} (${block.lang}, under "${block.heading}") runs`,
        async () => {
          const r = await runBlock(block, env, BLOCK_TIMEOUT_MS);
          const report = `exit ${r.code}${r.timedOut ? ` (killed after ${BLOCK_TIMEOUT_MS} ms)` : ''}\n--- stdout\n${tail(r.stdout)}\n--- stderr\n${tail(r.stderr)}`;
          expect(r.timedOut, report).toBe(false);
          expect(r.code, report).toBe(0);
        },
        BLOCK_TIMEOUT_MS + 60_000,
      );
    }
  });
}
