// The packages as a user gets them: every package packed (pnpm pack), checked
// (LICENSE, metadata, publint, @arethetypeswrong/cli), installed together with
// plain npm into a scratch project in os.tmpdir(), and there README.md's
// "Embedding" block (read from README.md, not copied) and `npx flotilla --help`
// run. Needs the build (`pnpm test` builds first) and the npm registry.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blockUnder, extractBlocks } from '../docs/blocks.js';
import { runBlock } from '../docs/run-block.js';
import { installAll, npmEnv, packageDirs, packAll } from './pack.js';

const execFileAsync = promisify(execFile);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = path.join(ROOT, 'node_modules/.bin');
const SETUP_TIMEOUT_MS = 480_000;
const LINT_TIMEOUT_MS = 60_000;
const EXAMPLE_TIMEOUT_MS = 90_000;
const LINT_CONCURRENCY = 2;

let root: string | undefined;
let tarballs: ReadonlyMap<string, string> = new Map();
let project = '';

beforeAll(async () => {
  for (const dir of packageDirs(ROOT)) {
    if (!fs.existsSync(path.join(dir, 'dist/index.js')))
      throw new Error(`${dir}/dist is missing: run pnpm build first`);
  }
  const packed = await packAll(ROOT);
  root = packed.root;
  tarballs = packed.tarballs;
  project = await installAll(packed.root, packed.tarballs);
}, SETUP_TIMEOUT_MS);

afterAll(() => {
  if (root !== undefined) fs.rmSync(root, { recursive: true, force: true });
});

/** Runs fn over items, at most `limit` at a time (the CI machine has 2 cores). */
async function pool<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

async function lint(command: string, args: readonly string[]): Promise<string | undefined> {
  try {
    await execFileAsync(path.join(BIN, command), args, {
      timeout: LINT_TIMEOUT_MS,
      maxBuffer: 16 * 1024 * 1024,
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
    });
    return undefined;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    return `${command} ${args.join(' ')}:\n${e.stdout ?? ''}${e.stderr ?? ''}${e.message}`;
  }
}

describe('packed packages', () => {
  it('every package is packed, with the LICENSE and the publishing metadata, and no workspace: ranges left', async () => {
    const license = fs.readFileSync(path.join(ROOT, 'LICENSE'), 'utf8');
    expect(license).toMatch(/Apache License\s+Version 2\.0/);
    expect([...tarballs.keys()].sort()).toEqual(
      packageDirs(ROOT)
        .map(
          (d) =>
            (JSON.parse(fs.readFileSync(path.join(d, 'package.json'), 'utf8')) as { name: string })
              .name,
        )
        .sort(),
    );
    for (const [name, tarball] of tarballs) {
      const { stdout: pkgText } = await execFileAsync('tar', [
        '-xzOf',
        tarball,
        'package/package.json',
      ]);
      const { stdout: packedLicense } = await execFileAsync('tar', [
        '-xzOf',
        tarball,
        'package/LICENSE',
      ]);
      expect(packedLicense, `${name}: LICENSE`).toBe(license);
      expect(pkgText, `${name}: workspace: ranges`).not.toMatch(/workspace:/);
      const pkg = JSON.parse(pkgText) as Record<string, unknown>;
      expect(pkg, name).toMatchObject({
        license: 'Apache-2.0',
        engines: { node: '>=20.15' },
        repository: { type: 'git', directory: `packages/${name.replace(/^@flotilla\//, '')}` },
      });
      expect(typeof pkg['description'], `${name}: description`).toBe('string');
      expect(Array.isArray(pkg['keywords']), `${name}: keywords`).toBe(true);
      expect(Array.isArray(pkg['files']), `${name}: files`).toBe(true);
    }
  });

  it(
    'publint (strict) finds nothing in any tarball',
    async () => {
      const failures = await pool([...tarballs.values()], LINT_CONCURRENCY, (t) =>
        lint('publint', ['run', t, '--strict']),
      );
      expect(failures.filter((f) => f !== undefined)).toEqual([]);
    },
    LINT_TIMEOUT_MS * 4,
  );

  // esm-only: the packages are ES modules for Node >= 20.15, so the node10 and
  // CommonJS-require resolutions are not offered (CJS code uses import()).
  it(
    '@arethetypeswrong/cli (esm-only profile) finds nothing in any tarball',
    async () => {
      const failures = await pool([...tarballs.values()], LINT_CONCURRENCY, (t) =>
        lint('attw', [t, '--profile', 'esm-only', '--format', 'ascii']),
      );
      expect(failures.filter((f) => f !== undefined)).toEqual([]);
    },
    LINT_TIMEOUT_MS * 6,
  );
});

describe('installed with npm outside the repository', () => {
  it('the project is outside the repository and has every package (classic-level loaded by its native addon)', async () => {
    expect(path.relative(ROOT, project).startsWith('..')).toBe(true);
    for (const name of tarballs.keys())
      expect(fs.existsSync(path.join(project, 'node_modules', name, 'package.json')), name).toBe(
        true,
      );
    const probe =
      "import { ClassicLevel } from 'classic-level'; const db = new ClassicLevel('./probe-db'); await db.open(); await db.put('k', 'v'); console.log(await db.get('k')); await db.close();";
    const { stdout } = await execFileAsync(process.execPath, ['--input-type=module', '-e', probe], {
      cwd: project,
    });
    expect(stdout.trim()).toBe('v');
  });

  it("`npx flotilla --help` prints the CLI's usage", async () => {
    const { stdout } = await execFileAsync('npx', ['flotilla', '--help'], {
      cwd: project,
      timeout: 60_000,
      env: npmEnv(),
    });
    expect(stdout).toMatch(/^Usage: flotilla \[options\] \[command\]/);
    expect(stdout).toMatch(/^  start \[options\] +runs a member of a cluster/m);
    const { stdout: viaUmbrella } = await execFileAsync(
      process.execPath,
      [path.join(project, 'node_modules/flotilla/bin/flotilla.js'), '--help'],
      { cwd: project },
    );
    expect(viaUmbrella).toBe(stdout);
  });

  it('the umbrella package exports the embedding API without loading etcd3 or gRPC', async () => {
    // etcd3 is installed (the server loads etcd's .proto files from it for its gRPC API, on the first gRPC
    // connection), but importing the embedding API must not load it: etcd3 and grpc-js are CommonJS, so
    // whatever was loaded is in require.cache.
    const probe =
      "import { createRequire } from 'node:module'; const f = await import('flotilla');" +
      " const missing = ['openNode','createNode','bytes','text','embeddedKv','remoteKv','Lock','Election','KvError','NotLeaderError','UnknownOutcomeError'].filter((n) => f[n] === undefined);" +
      " const loaded = Object.keys(createRequire(import.meta.url).cache).filter((m) => m.includes('/etcd3/') || m.includes('/@grpc/'));" +
      " console.log(missing.join(',') || 'ok', loaded.length);";
    const { stdout } = await execFileAsync(process.execPath, ['--input-type=module', '-e', probe], {
      cwd: project,
    });
    expect(stdout.trim()).toBe('ok 0');
  });

  it(
    "README.md's Embedding example runs against the installed packages",
    async () => {
      const block = blockUnder(
        extractBlocks(fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8'), 'README.md'),
        'Embedding',
        ['ts'],
      );
      const r = await runBlock(
        block,
        {
          resolveDir: project,
          nodeFlags: [],
          flotillaBin: path.join(project, 'node_modules/flotilla/bin/flotilla.js'),
        },
        EXAMPLE_TIMEOUT_MS,
      );
      const report = `exit ${r.code}${r.timedOut ? ' (timed out)' : ''}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr.split('\n').slice(-30).join('\n')}`;
      expect(r.timedOut, report).toBe(false);
      expect(r.code, report).toBe(0);
    },
    EXAMPLE_TIMEOUT_MS + 60_000,
  );
});
