// `flotilla snapshot save | verify | restore`: backups through @flotilla/backup.
// Loaded only by `snapshot` (it brings LevelDB and the node with it).
// save downloads POST /v3/maintenance/snapshot from the first endpoint and
// verifies the file by restoring it into a scratch store; restore seeds one
// member's data directory of a NEW cluster per call, as etcd's does.
import path from 'node:path';
import {
  BackupFileError,
  DataDirNotEmptyError,
  openBackup,
  restoreBackup,
  verifyBackup,
  writeBackupFile,
  type BackupManifest,
  type BackupVerdict,
} from '@flotilla/backup';
import { noExtra, parse, positional } from './command.js';
import { parseInitialCluster } from './config.js';
import { CliError, UsageError } from './errors.js';
import { memberIdOf } from './ids.js';

export interface SnapshotContext {
  readonly endpoints: readonly string[];
  /** Until the response starts, and the longest pause between two chunks of the download. */
  readonly timeoutMs: number;
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  readonly signal: AbortSignal;
}

const USAGE_HINT = 'use save FILE, verify FILE or restore FILE --name N --initial-cluster N=URL,... --data-dir DIR';

/** Runs one snapshot subcommand; resolves to the exit code (0 ok, 1 failed; usage errors throw). */
export async function cmdSnapshot(ctx: SnapshotContext, args: readonly string[]): Promise<number> {
  const [sub, ...rest] = args;
  switch (sub) {
    case 'save':
      return save(ctx, rest);
    case 'verify':
      return verify(ctx, rest);
    case 'restore':
      return restore(ctx, rest);
    default:
      throw new UsageError(`snapshot: unknown subcommand ${JSON.stringify(sub ?? '')}; ${USAGE_HINT}`);
  }
}

function report(ctx: SnapshotContext, verdict: BackupVerdict): number {
  if (verdict.ok) ctx.out(verdict.line);
  else ctx.err(verdict.line);
  return verdict.ok ? 0 : 1;
}

async function verify(ctx: SnapshotContext, args: readonly string[]): Promise<number> {
  const parsed = parse('snapshot verify', args, { 'scratch-dir': { type: 'string' } });
  const file = positional(parsed, 0, 'snapshot verify', 'the backup FILE');
  noExtra(parsed, 1, 'snapshot verify');
  const scratchDir = parsed.values['scratch-dir'];
  return report(ctx, await verifyBackup(file, typeof scratchDir === 'string' ? { scratchDir } : {}));
}

/** Ends the download when the server stalls for `idleMs` (a dead member must not hang the CLI forever). */
async function* withIdleTimeout(body: AsyncIterable<Uint8Array>, idleMs: number, abort: () => void): AsyncGenerator<Uint8Array> {
  let timer: NodeJS.Timeout | undefined;
  const arm = (): void => {
    clearTimeout(timer);
    timer = setTimeout(abort, idleMs);
  };
  try {
    arm();
    for await (const chunk of body) {
      arm();
      yield chunk;
    }
  } finally {
    clearTimeout(timer);
  }
}

async function download(ctx: SnapshotContext, file: string): Promise<{ endpoint: string; bytes: number }> {
  const endpoint = ctx.endpoints[0];
  if (endpoint === undefined) throw new UsageError('snapshot save: no endpoint given; pass --endpoints=http://127.0.0.1:2379');
  const controller = new AbortController();
  const stalled = new CliError(`${endpoint} sent no snapshot bytes for ${ctx.timeoutMs} ms (--command-timeout); download abandoned, no file written`);
  let reason: Error | undefined;
  const abort = (why: Error): void => {
    reason ??= why;
    controller.abort();
  };
  ctx.signal.addEventListener('abort', () => abort(new CliError('interrupted; no file written')), { once: true });
  const headersTimer = setTimeout(() => abort(stalled), ctx.timeoutMs);
  try {
    const res = await fetch(`${endpoint}/v3/maintenance/snapshot`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' }, signal: controller.signal });
    clearTimeout(headersTimer);
    if (!res.ok || !res.body) {
      const text = await res.text().catch(() => '');
      let message = text.slice(0, 300);
      try {
        message = String((JSON.parse(text) as { message?: unknown }).message ?? message);
      } catch {
        // not JSON: keep the text
      }
      throw new CliError(`${endpoint} refused the snapshot (HTTP ${res.status}): ${message}`);
    }
    const body = res.body as unknown as AsyncIterable<Uint8Array>;
    const bytes = await writeBackupFile(file, withIdleTimeout(body, ctx.timeoutMs, () => abort(stalled)));
    return { endpoint, bytes };
  } catch (err) {
    if (err instanceof CliError) throw err;
    if (reason) throw reason;
    const cause = (err as { cause?: Error }).cause?.message ?? (err as Error).message;
    throw new CliError(`downloading the snapshot from ${endpoint} failed (${cause}); no file written`);
  } finally {
    clearTimeout(headersTimer);
  }
}

function savedLine(file: string, m: BackupManifest, bytes: number): string {
  return `Snapshot saved at ${file}: revision ${m.revision}, applied index ${m.appliedIndex}, ${m.keyCount} keys, ${bytes} bytes`;
}

async function save(ctx: SnapshotContext, args: readonly string[]): Promise<number> {
  const parsed = parse('snapshot save', args, { 'no-verify': { type: 'boolean' } });
  const file = positional(parsed, 0, 'snapshot save', 'the FILE to save to');
  noExtra(parsed, 1, 'snapshot save');
  const { bytes } = await download(ctx, file);
  if (parsed.values['no-verify'] === true) {
    // Without the restore test, at least the manifest is read back (structure and CRC checked).
    try {
      ctx.out(savedLine(file, (await openBackup(file)).manifest, bytes));
    } catch (err) {
      if (!(err instanceof BackupFileError)) throw err;
      ctx.err(`FAILED ${err.kind}: ${err.message}`);
      return 1;
    }
    ctx.out('Not verified (--no-verify): run `flotilla snapshot verify` before relying on it');
    return 0;
  }
  const verdict = await verifyBackup(file);
  if (verdict.ok) ctx.out(savedLine(file, verdict.manifest, bytes));
  else ctx.out(`Snapshot saved at ${file}: ${bytes} bytes, but it did not verify`);
  return report(ctx, verdict);
}

async function restore(ctx: SnapshotContext, args: readonly string[]): Promise<number> {
  const parsed = parse('snapshot restore', args, {
    name: { type: 'string' },
    'initial-cluster': { type: 'string' },
    'data-dir': { type: 'string' },
    'cluster-token': { type: 'string' },
    'initial-cluster-token': { type: 'string' },
    force: { type: 'boolean' },
  });
  const file = positional(parsed, 0, 'snapshot restore', 'the backup FILE');
  noExtra(parsed, 1, 'snapshot restore');
  const text = (flag: string): string | undefined => (typeof parsed.values[flag] === 'string' ? (parsed.values[flag] as string) : undefined);
  const name = text('name');
  const clusterText = text('initial-cluster');
  const dataDir = text('data-dir');
  if (name === undefined || clusterText === undefined || dataDir === undefined) {
    throw new UsageError('snapshot restore needs --name N, --initial-cluster N=URL,... (the NEW cluster\'s members) and --data-dir DIR (empty or absent)');
  }
  const members = parseInitialCluster(clusterText);
  if (!members.some((m) => m.name === name)) throw new UsageError(`snapshot restore: --name ${name} is not in --initial-cluster (${members.map((m) => m.name).join(', ')})`);
  const token = text('cluster-token') ?? text('initial-cluster-token');
  const id = memberIdOf(name);
  let restored;
  try {
    const { manifest } = await openBackup(file);
    if (token === manifest.clusterId) {
      throw new CliError(`--cluster-token ${token} is the backed-up cluster's own id; a restored cluster needs a new one so its members never mix with the old cluster's: pass another --cluster-token`);
    }
    restored = await restoreBackup(file, {
      members: members.map((m) => m.id),
      dataDirs: { [id]: dataDir },
      ...(token !== undefined ? { clusterId: token } : {}),
      force: parsed.values['force'] === true,
    });
  } catch (err) {
    if (err instanceof BackupFileError) throw new CliError(`${err.message}`);
    if (err instanceof DataDirNotEmptyError) {
      throw new CliError(`data directory ${path.resolve(dataDir)} is not empty; restore never overwrites data: give an empty or new directory, or pass --force to replace its contents`);
    }
    if (err instanceof Error && err.name === 'BackupOptionsError') throw new CliError(err.message);
    throw err;
  }
  const m = restored.manifest;
  ctx.out(`Restored ${file} into ${dataDir} as member ${name} of cluster ${restored.clusterId} at revision ${m.revision} (index ${restored.index})`);
  ctx.out(`Start it with: flotilla start --name ${name} --data-dir ${dataDir} --initial-cluster ${clusterText} --initial-cluster-token ${restored.clusterId} --listen-client <url>`);
  return 0;
}
