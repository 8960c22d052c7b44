// Packs every package the way it would be published and installs the
// tarballs into a scratch project outside the repository with plain npm, as a
// user would. `pnpm pack` rewrites workspace:* dependencies to the packed
// versions; all tarballs are installed in one `npm install`, so each
// @flotilla/* dependency is satisfied by its tarball, not by the registry.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);
const PACK_TIMEOUT_MS = 120_000;
const INSTALL_TIMEOUT_MS = 300_000;
const OUTPUT_BYTES_MAX = 16 * 1024 * 1024;

export interface Packed {
  /** The temporary directory holding everything below; remove it when done. */
  readonly root: string;
  /** Package name → its tarball. */
  readonly tarballs: ReadonlyMap<string, string>;
  /** The scratch project (outside the repository) the tarballs are installed in. */
  readonly project: string;
}

export function packageDirs(repoRoot: string): string[] {
  const dir = path.join(repoRoot, 'packages');
  return fs
    .readdirSync(dir)
    .map((d) => path.join(dir, d))
    .filter((d) => fs.existsSync(path.join(d, 'package.json')));
}

export async function packAll(
  repoRoot: string,
): Promise<{ root: string; tarballs: Map<string, string> }> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-pack-'));
  const out = path.join(root, 'tarballs');
  await execFileAsync(
    'npx',
    ['-y', 'pnpm@12.4.2', '-r', '--filter', './packages/*', 'pack', '--pack-destination', out],
    {
      cwd: repoRoot,
      timeout: PACK_TIMEOUT_MS,
      maxBuffer: OUTPUT_BYTES_MAX,
    },
  );
  const tarballs = new Map<string, string>();
  for (const dir of packageDirs(repoRoot)) {
    const { name, version } = JSON.parse(
      fs.readFileSync(path.join(dir, 'package.json'), 'utf8'),
    ) as { name: string; version: string };
    const file = path.join(out, `${name.replace(/^@/, '').replace('/', '-')}-${version}.tgz`);
    if (!fs.existsSync(file)) throw new Error(`pnpm pack did not write ${file} for ${name}`);
    tarballs.set(name, file);
  }
  return { root, tarballs };
}

/** The environment for npm and npx: without the npm_* settings of the pnpm that may be running this test. */
export function npmEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_')),
  );
}

export async function installAll(
  root: string,
  tarballs: ReadonlyMap<string, string>,
): Promise<string> {
  const project = path.join(root, 'project');
  fs.mkdirSync(project);
  fs.writeFileSync(
    path.join(project, 'package.json'),
    `${JSON.stringify({ name: 'flotilla-scratch', private: true, type: 'module' }, null, 2)}\n`,
  );
  await execFileAsync(
    'npm',
    ['install', '--no-audit', '--no-fund', '--prefer-offline', ...tarballs.values()],
    {
      cwd: project,
      timeout: INSTALL_TIMEOUT_MS,
      maxBuffer: OUTPUT_BYTES_MAX,
      env: npmEnv(),
    },
  );
  return project;
}
