// The lint as a function, so tests can prove a rule fires without writing
// files into the source tree.
import { ESLint } from 'eslint';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, '../..');

export function makeLinter() {
  return new ESLint({
    cwd: repoRoot,
    overrideConfigFile: path.join(here, 'eslint.config.js'),
    errorOnUnmatchedPattern: false,
  });
}

/** Lints `code` as if it were the file at `relPath` (relative to the repo root). */
export async function lintSource(code, relPath) {
  const [result] = await makeLinter().lintText(code, { filePath: path.join(repoRoot, relPath) });
  return (result?.messages ?? []).map((m) => ({
    rule: m.ruleId,
    line: m.line,
    message: m.message,
  }));
}
