// Runs one README code block the way a reader would, in a fresh temporary
// directory (relative data directories land there), with the block's fixed
// ports moved to free ones so runs never collide:
//   ts/js  written next to a project that has the packages (resolveDir) and run
//          by node + tsx; the block passes when its top level completes (a
//          process.exit(0) is appended: an embedded node keeps the process alive).
//   sh     run by bash with `set -e`; `flotilla` is the CLI, `pnpm` (and
//          `npx -y pnpm@…`) runs in the repository, `packages/` points into it. A `flotilla start` line is a
//          server: it runs in the background and the next line waits until every
//          --listen-client URL of those servers answers /health. Everything
//          started is killed at the end.
// The loopback ports a block names are found by fixedPorts(); the block's
// `<!-- run: ... -->` marker may add: ports=P,P (more ports to move),
// members=/as=/cluster-id= and cluster= (fixtures, see fixtures.ts).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { freePort } from '../../packages/transport/src/tcp/free-port.js';
import type { CodeBlock } from './blocks.js';
import { startFixture, type Fixture } from './fixtures.js';

export interface BlockEnv {
  /** A directory inside a project that resolves @flotilla/* (blocks and fixtures are written here). */
  readonly resolveDir: string;
  /** Extra node flags, e.g. --conditions=source in the repository. */
  readonly nodeFlags: readonly string[];
  /** The `flotilla` command as a JS file run by node. */
  readonly flotillaBin: string;
  /** The repository root, for sh blocks that run `pnpm` or `node packages/...`. */
  readonly repoRoot?: string;
}

export interface BlockResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
}

const TS_LANGS = new Set(['ts', 'typescript', 'js', 'javascript', 'mjs']);
const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const READY_TIMEOUT_S = 60;

export async function runBlock(
  block: CodeBlock,
  env: BlockEnv,
  timeoutMs: number,
): Promise<BlockResult> {
  const options = block.marker?.kind === 'run' ? block.marker.options : {};
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-readme-'));
  const fixtures: Fixture[] = [];
  const nodeArgs = [...env.nodeFlags, '--import', TSX_LOADER];
  try {
    const ports = new Map<number, number>();
    for (const p of [...listOf(options['ports']).map(Number), ...fixedPorts(block.code)]) {
      if (!ports.has(p)) ports.set(p, await freePort());
    }
    const members = listOf(options['members']).map((m) => {
      const [id, port] = m.split('@').map(Number);
      if (!ports.has(port!))
        throw new Error(`${where(block)}: member port ${port} is not in ports=`);
      return { id: id!, port: ports.get(port!)! };
    });
    if (members.length > 0) {
      const as = Number(options['as']);
      fixtures.push(
        await startFixture(
          'members',
          {
            clusterId: options['cluster-id'] ?? 'flotilla',
            dir: path.join(workDir, 'fixture'),
            members,
            run: members.map((m) => m.id).filter((id) => id !== as),
          },
          { resolveDir: env.resolveDir, nodeArgs },
        ),
      );
    }
    if (options['cluster'] !== undefined) {
      const cluster = await startFixture(
        'cluster',
        { dir: path.join(workDir, 'cluster') },
        { resolveDir: env.resolveDir, nodeArgs },
      );
      fixtures.push(cluster);
      ports.set(Number(options['cluster']), Number(new URL(cluster.info.endpoints![0]!).port));
    }
    let code = block.code;
    for (const [from, to] of ports)
      code = code.replace(new RegExp(`\\b${from}\\b`, 'g'), String(to));
    if (TS_LANGS.has(block.lang))
      return await runScript(block, code, env, nodeArgs, workDir, timeoutMs);
    return await runShell(code, env, workDir, timeoutMs);
  } finally {
    for (const f of fixtures) await f.stop();
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}

/** Loopback ports the block names (`127.0.0.1:2379`, `localhost:2379`, `port: 7001`). */
export function fixedPorts(code: string): number[] {
  const found = new Set<number>();
  for (const m of code.matchAll(/(?:127\.0\.0\.1|localhost):(\d{2,5})\b|\bport:\s*(\d{2,5})\b/g))
    found.add(Number(m[1] ?? m[2]));
  found.delete(0);
  return [...found];
}

function listOf(value: string | undefined): string[] {
  return value === undefined ? [] : value.split(',').filter((v) => v !== '');
}

function where(block: CodeBlock): string {
  return `${block.file}:${block.line}`;
}

async function runScript(
  block: CodeBlock,
  code: string,
  env: BlockEnv,
  nodeArgs: readonly string[],
  workDir: string,
  timeoutMs: number,
): Promise<BlockResult> {
  fs.mkdirSync(env.resolveDir, { recursive: true });
  const file = path.join(
    env.resolveDir,
    `.block-${block.file.replace(/\W+/g, '_')}-${block.line}-${process.pid}.mts`,
  );
  fs.writeFileSync(file, `${code}\n;process.exit(0);\n`);
  try {
    return await runProcess(process.execPath, [...nodeArgs, file], workDir, process.env, timeoutMs);
  } finally {
    fs.rmSync(file, { force: true });
  }
}

async function runShell(
  code: string,
  env: BlockEnv,
  workDir: string,
  timeoutMs: number,
): Promise<BlockResult> {
  const binDir = path.join(workDir, '.bin');
  fs.mkdirSync(binDir);
  fs.writeFileSync(
    path.join(binDir, 'flotilla'),
    `#!/bin/sh\nexec "${process.execPath}" "${env.flotillaBin}" "$@"\n`,
    { mode: 0o755 },
  );
  if (env.repoRoot !== undefined) {
    fs.symlinkSync(path.join(env.repoRoot, 'packages'), path.join(workDir, 'packages'));
    // `node tools/gen-certs.js` (docs/security.md) as in the repository.
    fs.symlinkSync(path.join(env.repoRoot, 'tools'), path.join(workDir, 'tools'));
  }
  const script = [
    'set -euo pipefail',
    "trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true' EXIT",
    env.repoRoot === undefined
      ? ''
      : `pnpm() { (cd "${env.repoRoot}" && npx -y pnpm@12.4.2 "$@"); }`,
    // `npx -y pnpm@… install|build` (the README's fresh-clone line) also runs in the repository, already installed and built.
    env.repoRoot === undefined
      ? ''
      : `npx() { if [ "\${1:-}" = -y ] && [[ "\${2:-}" == pnpm@* ]]; then (cd "${env.repoRoot}" && command npx "$@"); else command npx "$@"; fi; }`,
    // An https:// member with --client-cert-auth is asked with a member's certificate (__CURL_TLS, set before the wait).
    '__CURL_TLS=()',
    `__health() { curl -sfk \${__CURL_TLS[@]+"\${__CURL_TLS[@]}"} "$1/health" >/dev/null; }`,
    `__ready() { for url in "$@"; do for i in $(seq 1 ${READY_TIMEOUT_S * 10}); do __health "$url" && break; sleep 0.1; done; __health "$url" || { echo "$url not healthy within ${READY_TIMEOUT_S} s" >&2; cat server-*.log >&2; exit 1; }; done; }`,
    ...withServersInBackground(code),
  ].join('\n');
  fs.writeFileSync(path.join(workDir, '.block.sh'), script);
  const shellEnv = { ...process.env, PATH: `${binDir}:${process.env['PATH'] ?? ''}` };
  return runProcess('bash', [path.join(workDir, '.block.sh')], workDir, shellEnv, timeoutMs);
}

/** Joins continued lines; a `flotilla start` line goes to the background, and the next line that runs the CLI or curl waits for the servers to answer /health. */
export function withServersInBackground(code: string): string[] {
  const logical = code.replace(/\s*\\\n\s*/g, ' ').split('\n');
  const out: string[] = [];
  let waiting: string[] = [];
  let servers = 0;
  for (const line of logical) {
    if (/(^|\s)(flotilla|\S*flotilla\.js)\s+start(\s|$)/.test(line)) {
      const command = line.replace(/\s+#.*$/, '');
      // Already in the background (`... &`): as written; else to the background with its log kept.
      out.push(/&\s*$/.test(command) ? command : `${command} > server-${++servers}.log 2>&1 &`);
      const url = /--listen-client[= ](\S+)/.exec(line)?.[1];
      if (url !== undefined) waiting.push(url);
      const cert = /--cert-file[= ](\S+)/.exec(line)?.[1];
      const key = /--key-file[= ](\S+)/.exec(line)?.[1];
      if (cert !== undefined && key !== undefined)
        out.push(`__CURL_TLS=(--cert "${cert}" --key "${key}")`);
      continue;
    }
    // Wait before the next command that talks to the servers: lines that only start or note them (echo $!) run first,
    // so every member of a cluster is started before any must answer (/health needs a leader, hence a quorum).
    if (
      waiting.length > 0 &&
      /(^|\s)(flotilla|\S*flotilla\.js|curl)\s/.test(line) &&
      !line.trim().startsWith('#')
    ) {
      out.push(`__ready ${waiting.map((u) => `"${u}"`).join(' ')}`);
      waiting = [];
    }
    out.push(line);
  }
  if (waiting.length > 0) out.push(`__ready ${waiting.map((u) => `"${u}"`).join(' ')}`);
  return out;
}

function runProcess(
  command: string,
  args: readonly string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<BlockResult> {
  return new Promise((resolve, reject) => {
    // Its own process group, so a timeout kills whatever the block started too.
    const child = spawn(command, args, {
      cwd,
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }, timeoutMs);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* group already gone */
      }
      resolve({ code, stdout, stderr, timedOut });
    });
  });
}
