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
import type { TlsFetch } from './client-tls.js';
import { stringOption } from './command.js';
import { parseInitialCluster } from './config.js';
import { CliError, UsageError } from './errors.js';
import { memberIdOf } from './ids.js';
import { formatBytes, Progress } from './progress.js';

export type Opts = Record<string, unknown>;

export interface SnapshotContext {
  readonly endpoints: readonly string[];
  /** Until the response starts, and the longest pause between two chunks of the download. */
  readonly timeoutMs: number;
  /** Results, on stdout. */
  readonly out: (line: string) => void;
  /** Progress and failed verdicts, on stderr. */
  readonly err: (line: string) => void;
  readonly signal: AbortSignal;
  /** undici's fetch and an agent with --cacert/--cert/--key for an https:// endpoint; undefined: the built-in fetch. */
  readonly tlsFetch?: () => Promise<TlsFetch | undefined>;
  /** The Authorization header of --user (a snapshot needs root when auth is on). */
  readonly authHeaders?: () => Promise<Record<string, string>>;
}

function report(ctx: SnapshotContext, verdict: BackupVerdict): number {
  if (verdict.ok) ctx.out(verdict.line);
  else ctx.err(verdict.line);
  return verdict.ok ? 0 : 1;
}

export async function verify(
  ctx: SnapshotContext,
  file: string,
  scratchDir: string | undefined,
): Promise<number> {
  const progress = new Progress(ctx.err);
  progress.step(`verifying ${file}: restoring it into a scratch store`);
  const verdict = await verifyBackup(file, scratchDir !== undefined ? { scratchDir } : {});
  progress.step(`verify finished in ${progress.elapsed()}`);
  return report(ctx, verdict);
}

/** Ends the download when the server stalls for `idleMs` (a dead member must not hang the CLI forever). */
async function* withIdleTimeout(
  body: AsyncIterable<Uint8Array>,
  idleMs: number,
  abort: () => void,
): AsyncGenerator<Uint8Array> {
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

async function download(
  ctx: SnapshotContext,
  file: string,
  progress: Progress,
): Promise<{ endpoint: string; bytes: number }> {
  const endpoint = ctx.endpoints[0];
  if (endpoint === undefined)
    throw new UsageError(
      'snapshot save: no endpoint given; pass --endpoints=http://127.0.0.1:2379',
    );
  const controller = new AbortController();
  const stalled = new CliError(
    `${endpoint} sent no snapshot bytes for ${ctx.timeoutMs} ms (--command-timeout); download abandoned, no file written`,
  );
  let reason: Error | undefined;
  const abort = (why: Error): void => {
    reason ??= why;
    controller.abort();
  };
  ctx.signal.addEventListener('abort', () => abort(new CliError('interrupted; no file written')), {
    once: true,
  });
  const headersTimer = setTimeout(() => abort(stalled), ctx.timeoutMs);
  progress.step(`downloading a snapshot from ${endpoint} into ${file}`);
  try {
    const auth = (await ctx.authHeaders?.()) ?? {};
    const init = {
      method: 'POST',
      body: '{}',
      headers: { 'content-type': 'application/json', ...auth },
      signal: controller.signal,
    };
    const tls = await ctx.tlsFetch?.();
    const res =
      tls === undefined
        ? await fetch(`${endpoint}/v3/maintenance/snapshot`, init)
        : await tls.fetch(`${endpoint}/v3/maintenance/snapshot`, {
            ...init,
            dispatcher: tls.dispatcher,
          });
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
    const bytes = await writeBackupFile(
      file,
      progress.count(
        withIdleTimeout(body, ctx.timeoutMs, () => abort(stalled)),
        'downloaded',
      ),
    );
    progress.step(`downloaded ${formatBytes(bytes)} in ${progress.elapsed()}`);
    return { endpoint, bytes };
  } catch (err) {
    if (err instanceof CliError) throw err;
    if (reason) throw reason;
    const cause = (err as { cause?: Error }).cause?.message ?? (err as Error).message;
    throw new CliError(
      `downloading the snapshot from ${endpoint} failed (${cause}); no file written`,
    );
  } finally {
    clearTimeout(headersTimer);
  }
}

function savedLine(file: string, m: BackupManifest, bytes: number): string {
  return `Snapshot saved at ${file}: revision ${m.revision}, applied index ${m.appliedIndex}, ${m.keyCount} keys, ${bytes} bytes`;
}

export async function save(ctx: SnapshotContext, file: string, verifyIt: boolean): Promise<number> {
  const progress = new Progress(ctx.err);
  const { bytes } = await download(ctx, file, progress);
  if (!verifyIt) {
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
  progress.step(`verifying ${file}: restoring it into a scratch store`);
  const verdict = await verifyBackup(file);
  progress.step(`verify finished in ${progress.elapsed()}`);
  if (verdict.ok) ctx.out(savedLine(file, verdict.manifest, bytes));
  else ctx.out(`Snapshot saved at ${file}: ${bytes} bytes, but it did not verify`);
  return report(ctx, verdict);
}

export async function restore(ctx: SnapshotContext, file: string, opts: Opts): Promise<number> {
  const name = stringOption(opts['name']);
  const clusterText = stringOption(opts['initialCluster']);
  const dataDir = stringOption(opts['dataDir']);
  if (name === undefined || clusterText === undefined || dataDir === undefined) {
    throw new UsageError(
      "snapshot restore needs --name N, --initial-cluster N=URL,... (the NEW cluster's members) and --data-dir DIR (empty or absent)",
    );
  }
  const members = parseInitialCluster(clusterText);
  if (!members.some((m) => m.name === name))
    throw new UsageError(
      `snapshot restore: --name ${name} is not in --initial-cluster (${members.map((m) => m.name).join(', ')})`,
    );
  const token = stringOption(opts['clusterToken']) ?? stringOption(opts['initialClusterToken']);
  const id = memberIdOf(name);
  let restored;
  const progress = new Progress(ctx.err);
  progress.step(`restoring ${file} into ${dataDir} as member ${name}`);
  try {
    const { manifest } = await openBackup(file);
    if (token === manifest.clusterId) {
      throw new CliError(
        `--cluster-token ${token} is the backed-up cluster's own id; a restored cluster needs a new one so its members never mix with the old cluster's: pass another --cluster-token`,
      );
    }
    restored = await restoreBackup(file, {
      members: members.map((m) => m.id),
      dataDirs: { [id]: dataDir },
      ...(token !== undefined ? { clusterId: token } : {}),
      force: opts['force'] === true,
    });
  } catch (err) {
    if (err instanceof BackupFileError) throw new CliError(`${err.message}`);
    if (err instanceof DataDirNotEmptyError) {
      throw new CliError(
        `data directory ${path.resolve(dataDir)} is not empty; restore never overwrites data: give an empty or new directory, or pass --force to replace its contents`,
      );
    }
    if (err instanceof Error && err.name === 'BackupOptionsError') throw new CliError(err.message);
    throw err;
  }
  progress.step(`restored in ${progress.elapsed()}`);
  const m = restored.manifest;
  ctx.out(
    `Restored ${file} into ${dataDir} as member ${name} of cluster ${restored.clusterId} at revision ${m.revision} (index ${restored.index})`,
  );
  ctx.out(
    `Start it with: flotilla start --name ${name} --data-dir ${dataDir} --initial-cluster ${clusterText} --initial-cluster-token ${restored.clusterId} --listen-client <url>`,
  );
  return 0;
}
