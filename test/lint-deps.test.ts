// docs/conventions.md, convention 12: each package's dependency lists match its
// imports. These tests prove tools/lint/deps.js finds both kinds of mismatch
// (an import that is not declared, a declaration nothing imports), so a stale
// package.json fails `pnpm lint`.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkPackage, packageOf } from '../tools/lint/deps.js';

const made: string[] = [];

/** A package in a temporary folder: its manifest and files (path → text). */
function makePackage(manifest: object, files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-deps-'));
  made.push(dir);
  fs.writeFileSync(
    path.join(dir, 'package.json'),
    JSON.stringify({ name: 'fixture', ...manifest }),
  );
  for (const [file, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), text);
  }
  return dir;
}

afterEach(() => {
  for (const dir of made.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

const noRootTools = new Set<string>();

describe('dependency lists match the imports', () => {
  it('names the package of a specifier, and none for relative or built-in ones', () => {
    expect(packageOf('@flotilla/client/etcd')).toBe('@flotilla/client');
    expect(packageOf('msgpackr')).toBe('msgpackr');
    expect(packageOf('node:fs')).toBeUndefined();
    expect(packageOf('fs/promises')).toBeUndefined();
    expect(packageOf('./x.js')).toBeUndefined();
  });

  it('accepts a package whose lists match', () => {
    const dir = makePackage(
      { dependencies: { a: '1', b: '1' }, devDependencies: { c: '1' } },
      {
        'src/index.ts': "import { x } from 'a';\nexport type { Y } from 'b/sub';\n",
        'test/x.test.ts': "import { z } from 'c';\nimport { w } from 'vitest';\n",
      },
    );
    expect(checkPackage(dir, new Set(['vitest']))).toEqual([]);
  });

  it('reports an import of src/ that is not in dependencies, type-only and dynamic ones too', () => {
    const dir = makePackage(
      { devDependencies: { a: '1' } },
      {
        'src/index.ts': "import type { T } from 'a';\nexport const m = () => import('b');\n",
      },
    );
    expect(checkPackage(dir, noRootTools)).toEqual([
      expect.stringContaining('a is imported by'),
      expect.stringContaining('b is imported by'),
    ]);
  });

  it('reports a dependency nothing in src/ imports, and says when a test uses it', () => {
    const dir = makePackage(
      { dependencies: { used: '1', unused: '1', 'test-only': '1' } },
      {
        'src/index.ts': "export * from 'used';\n",
        'test/x.test.ts': "import 'test-only';\n",
      },
    );
    expect(checkPackage(dir, noRootTools)).toEqual([
      'fixture: unused is in dependencies but nothing in src/ imports it',
      'fixture: test-only is in dependencies but nothing in src/ imports it (test/ does: make it a devDependency)',
    ]);
  });

  it('reports an undeclared test import and an unused devDependency', () => {
    const dir = makePackage(
      { devDependencies: { stale: '1' } },
      { 'src/index.ts': 'export const x = 1;\n', 'test/x.test.ts': "import 'missing';\n" },
    );
    expect(checkPackage(dir, noRootTools)).toEqual([
      expect.stringContaining('missing is imported by'),
      'fixture: stale is in devDependencies but nothing imports it',
    ]);
  });

  it('counts a package reached through require.resolve as used', () => {
    const dir = makePackage(
      { dependencies: { protos: '1' } },
      {
        'src/index.ts':
          "import { createRequire } from 'node:module';\nexport const d = createRequire(import.meta.url).resolve('protos/package.json');\n",
      },
    );
    expect(checkPackage(dir, noRootTools)).toEqual([]);
  });
});
