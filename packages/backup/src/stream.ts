// The backup as a byte stream, produced in one pass: the same bytes go to a
// file (saveBackup), an HTTP response (/v3/maintenance/snapshot) or anywhere
// else. The manifest resolves once the last byte was produced.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { KvSnapshot } from '@flotilla/kv';
import { frameChunks, type FlotillaNode } from '@flotilla/node';
import { ContentHasher } from './content-hash.js';
import { BackupSourceError } from './errors.js';
import { encodePreamble, encodeTrailer, FORMAT_VERSION, type BackupManifest } from './format.js';
import { toSource, type BackupSource } from './source.js';

export interface BackupStreamOptions {
  /** Wall-clock time for the manifest's createdAt; default Date.now. */
  readonly nowMs?: () => number;
}

export interface BackupStream {
  /** The file's bytes; iterate once. Stopping early releases the snapshot. */
  readonly chunks: AsyncIterable<Uint8Array>;
  /** Resolves with the manifest after the last chunk; rejects if the stream failed or was abandoned. */
  readonly manifest: Promise<BackupManifest>;
  /** The same bytes as a Node Readable (for an HTTP response body). */
  readable(): Readable;
}

export function backupStream(
  from: FlotillaNode | BackupSource,
  options: BackupStreamOptions = {},
): BackupStream {
  const source = toSource(from);
  const nowMs = options.nowMs ?? Date.now;
  let settle: { resolve: (m: BackupManifest) => void; reject: (e: unknown) => void } | undefined;
  const manifest = new Promise<BackupManifest>((resolve, reject) => {
    settle = { resolve, reject };
  });
  manifest.catch(() => undefined); // a caller that only wants the bytes need not await it
  let settled = false;
  const finish = (outcome: { ok: true; m: BackupManifest } | { ok: false; e: unknown }): void => {
    if (settled) return;
    settled = true;
    if (outcome.ok) settle!.resolve(outcome.m);
    else settle!.reject(outcome.e);
  };
  async function* produce(): AsyncGenerator<Uint8Array> {
    try {
      const createdAtMs = nowMs();
      const snap = await source.snapshot();
      try {
        const m = yield* body(source, snap, createdAtMs);
        finish({ ok: true, m });
      } finally {
        await snap.close();
      }
    } catch (err) {
      finish({ ok: false, e: err });
      throw err;
    } finally {
      finish({
        ok: false,
        e: new BackupSourceError(
          'the backup stream was abandoned before its end; nothing complete was produced',
        ),
      });
    }
  }
  const chunks = produce();
  return { chunks, manifest, readable: () => Readable.from(chunks, { objectMode: false }) };
}

async function* body(
  source: BackupSource,
  snap: KvSnapshot,
  createdAtMs: number,
): AsyncGenerator<Uint8Array, BackupManifest> {
  yield encodePreamble();
  const sha = createHash('sha256');
  const hasher = new ContentHasher();
  let contentBytes = 0;
  for await (const framed of frameChunks(hashing(snap.chunks, hasher))) {
    sha.update(framed);
    contentBytes += framed.byteLength;
    yield framed;
  }
  const digest = hasher.digest();
  const h = digest.header;
  if (
    h.appliedIndex !== snap.appliedIndex ||
    h.revision !== snap.revision ||
    h.compactRevision !== snap.compactRevision
  ) {
    throw new BackupSourceError(
      `the KV snapshot's header (index ${h.appliedIndex}, revision ${h.revision}) differs from its metadata (index ${snap.appliedIndex}, revision ${snap.revision})`,
    );
  }
  const manifest: BackupManifest = {
    formatVersion: FORMAT_VERSION,
    kvFormat: h.kvFormat,
    clusterId: source.clusterId,
    memberId: source.memberId,
    revision: h.revision,
    compactRevision: h.compactRevision,
    appliedIndex: h.appliedIndex,
    keyCount: digest.keyCount,
    recordCount: digest.recordCount,
    createdAtMs,
    createdAt: new Date(createdAtMs).toISOString(),
    contentBytes,
    contentSha256: sha.digest('hex'),
    contentHash: digest.contentHash,
  };
  yield encodeTrailer(manifest);
  return manifest;
}

async function* hashing(
  chunks: AsyncIterable<Uint8Array>,
  hasher: ContentHasher,
): AsyncGenerator<Uint8Array> {
  for await (const chunk of chunks) {
    try {
      hasher.update(chunk);
    } catch (err) {
      throw new BackupSourceError(
        `the node's KV snapshot does not parse: ${(err as Error).message}`,
      );
    }
    yield chunk;
  }
}
