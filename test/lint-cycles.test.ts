// docs/conventions.md, convention 13: no import cycles inside a package, type-only
// ones included. These tests prove import-x/no-cycle fires, by linting a file's
// text as if it were an existing module that another module already imports.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { lintSource, repoRoot } from '../tools/lint/check.js';

async function rulesFiredFor(code: string, file: string): Promise<string[]> {
  return (await lintSource(code, file)).map((m) => m.rule ?? 'parse-error');
}

describe('no import cycles', () => {
  it('reports a runtime cycle', async () => {
    // remote-backend.ts imports json-codec.ts; json-codec importing it back closes the cycle.
    const code = "import { remoteKv } from './remote-backend.js';\nexport const x = remoteKv;\n";
    expect(await rulesFiredFor(code, 'packages/client/src/remote/json-codec.ts')).toContain(
      'import-x/no-cycle',
    );
  });

  it('reports a cycle made of type-only imports', async () => {
    // step.ts imports StepResult from step-result.ts with `import type`.
    const code =
      "import type { step } from './step.js';\nexport type StepResult = ReturnType<typeof step>;\n";
    expect(await rulesFiredFor(code, 'packages/raft/src/step-result.ts')).toContain(
      'import-x/no-cycle',
    );
  });

  it('accepts the modules as they are', async () => {
    for (const file of ['packages/raft/src/step-result.ts', 'packages/kv/src/command-types.ts']) {
      const code = fs.readFileSync(path.join(repoRoot, file), 'utf8');
      expect(await rulesFiredFor(code, file)).not.toContain('import-x/no-cycle');
    }
  });
});
