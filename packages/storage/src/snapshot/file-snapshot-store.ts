// One file per snapshot in <dataDir>/snapshots/. A snapshot is written under
// a temporary name, fsynced, renamed into place and the directory fsynced, so
// a crash leaves either the complete file or no file under the final name.
import { type FileHandle, mkdir, open, readdir, rename, rm, unlink } from 'node:fs/promises';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import type { SnapshotMeta } from '@flotilla/raft';
import { invariant } from '../invariant.js';
import type { OpenedSnapshot, SnapshotInfo, SnapshotSource, SnapshotStore } from '../types.js';
import { fsyncDir } from './fs-sync.js';
import {
  compareSnapshots,
  DEFAULT_SNAPSHOT_KEEP_COUNT,
  parseSnapshotName,
  snapshotName,
} from './naming.js';
import {
  finishHeader,
  readData,
  readHeader,
  type SnapshotHeader,
  startHeader,
} from './snapshot-file.js';

const TMP_PREFIX = '.tmp-';

export class FileSnapshotStore implements SnapshotStore {
  private tmpSeq = 0;

  private constructor(
    readonly dir: string,
    private readonly keepCount: number,
  ) {}

  /** Opens (creating) the directory and removes temporaries left by a crash mid-create. */
  static async open(
    dir: string,
    keepCount: number = DEFAULT_SNAPSHOT_KEEP_COUNT,
  ): Promise<FileSnapshotStore> {
    invariant(
      Number.isSafeInteger(keepCount) && keepCount >= 1,
      `snapshot keepCount must be ≥ 1, got ${keepCount}`,
    );
    await mkdir(dir, { recursive: true });
    const leftovers = (await readdir(dir)).filter((n) => n.startsWith(TMP_PREFIX));
    for (const name of leftovers) await rm(path.join(dir, name), { force: true });
    if (leftovers.length > 0) await fsyncDir(dir);
    return new FileSnapshotStore(dir, keepCount);
  }

  async create(meta: SnapshotMeta, data: SnapshotSource): Promise<SnapshotInfo> {
    const name = snapshotName(meta);
    const tmp = path.join(this.dir, `${TMP_PREFIX}${name}-${process.pid}-${this.tmpSeq++}`);
    const header = startHeader(meta);
    const fh = await open(tmp, 'wx');
    let dataBytes = 0;
    try {
      let crc = 0;
      await fh.write(header, 0, header.byteLength, 0);
      for await (const chunk of chunks(data)) {
        await fh.write(chunk, 0, chunk.byteLength, header.byteLength + dataBytes);
        crc = crc32(chunk, crc);
        dataBytes += chunk.byteLength;
      }
      finishHeader(header, dataBytes, crc);
      await fh.write(header, 0, header.byteLength, 0);
      await fh.sync();
    } catch (err) {
      await fh.close();
      await rm(tmp, { force: true });
      throw err;
    }
    await fh.close();
    await rename(tmp, path.join(this.dir, name));
    await fsyncDir(this.dir);
    await this.prune(this.keepCount);
    return { meta, name, sizeBytes: header.byteLength + dataBytes };
  }

  async openLatest(): Promise<OpenedSnapshot | undefined> {
    const names = await this.names();
    const latest = names[names.length - 1];
    return latest === undefined ? undefined : this.openName(latest);
  }

  async open(index: number, term: number): Promise<OpenedSnapshot | undefined> {
    const name = snapshotName({ index, term });
    return (await this.names()).includes(name) ? this.openName(name) : undefined;
  }

  private async openName(latest: string): Promise<OpenedSnapshot> {
    const file = path.join(this.dir, latest);
    const where = `snapshot file ${file}`;
    const header = await this.withFile(file, where, async (fh, header) => {
      // Read it all once now, so a damaged latest snapshot is reported on open, not mid-transfer.
      for await (const chunk of readData(fh, header, where)) void chunk;
      return header;
    });
    const stream = (): AsyncIterable<Uint8Array> => this.streamFile(file, where);
    return {
      meta: header.meta,
      name: latest,
      sizeBytes: header.headerBytes + header.dataBytes,
      stream,
      read: async () => {
        const out = new Uint8Array(header.dataBytes);
        let at = 0;
        for await (const chunk of stream()) {
          out.set(chunk, at);
          at += chunk.byteLength;
        }
        return out;
      },
    };
  }

  async list(): Promise<SnapshotInfo[]> {
    const infos: SnapshotInfo[] = [];
    for (const name of await this.names()) {
      const file = path.join(this.dir, name);
      const header = await this.withFile(file, `snapshot file ${file}`, async (_fh, h) => h);
      infos.push({ meta: header.meta, name, sizeBytes: header.headerBytes + header.dataBytes });
    }
    return infos;
  }

  async delete(name: string): Promise<void> {
    invariant(
      parseSnapshotName(name) !== undefined,
      `not a snapshot name: ${JSON.stringify(name)}`,
    );
    await unlink(path.join(this.dir, name)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
    await fsyncDir(this.dir);
  }

  async prune(keepCount: number): Promise<void> {
    invariant(keepCount >= 0, `prune keepCount must be ≥ 0, got ${keepCount}`);
    const names = await this.names();
    for (const name of names.slice(0, Math.max(0, names.length - keepCount)))
      await this.delete(name);
  }

  /** Snapshot file names, oldest first. */
  private async names(): Promise<string[]> {
    const parsed = (await readdir(this.dir))
      .map((name) => ({ name, id: parseSnapshotName(name) }))
      .filter(
        (p): p is { name: string; id: { index: number; term: number } } => p.id !== undefined,
      );
    return parsed.sort((a, b) => compareSnapshots(a.id, b.id)).map((p) => p.name);
  }

  private async withFile<T>(
    file: string,
    where: string,
    fn: (fh: FileHandle, h: SnapshotHeader) => Promise<T>,
  ): Promise<T> {
    const fh = await open(file, 'r');
    try {
      const { size } = await fh.stat();
      return await fn(fh, await readHeader(fh, size, where));
    } finally {
      await fh.close();
    }
  }

  private async *streamFile(file: string, where: string): AsyncGenerator<Uint8Array> {
    const fh = await open(file, 'r');
    try {
      const { size } = await fh.stat();
      yield* readData(fh, await readHeader(fh, size, where), where);
    } finally {
      await fh.close();
    }
  }
}

async function* chunks(source: SnapshotSource): AsyncGenerator<Uint8Array> {
  if (source instanceof Uint8Array) {
    yield source;
    return;
  }
  yield* source;
}
