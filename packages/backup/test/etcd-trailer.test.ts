// A backup followed by etcd's snapshot trailer (zero padding to 512 bytes,
// then a SHA-256 of everything before it; what Flotilla's gRPC Snapshot sends
// so that `etcdctl snapshot save` keeps the download) verifies like the plain
// backup, and a damaged trailer or padding is refused.
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { etcdTrailerWriter, openBackup, saveBackup, verifyBackup } from '../src/index.js';
import { richKv, source, tempDir } from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
let plain: Uint8Array;

function withTrailer(data: Uint8Array): Uint8Array {
  const w = etcdTrailerWriter();
  w.update(data);
  const trailer = w.end();
  const out = new Uint8Array(data.byteLength + trailer.byteLength);
  out.set(data);
  out.set(trailer, data.byteLength);
  return out;
}

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
  const kv = await richKv(200, { snapshotChunkBytes: 4096 });
  const file = path.join(dir, 'plain.fbk');
  await saveBackup(source(kv), file);
  plain = new Uint8Array(await readFile(file));
  await kv.close();
});
afterAll(() => cleanup());

describe('etcd snapshot trailer', () => {
  it('makes the size 32 more than a multiple of 512, as etcdctl checks', () => {
    expect(withTrailer(plain).byteLength % 512).toBe(32);
  });

  it('is looked through: the backup with a trailer opens and verifies like the plain one', async () => {
    const file = path.join(dir, 'etcd.db');
    await writeFile(file, withTrailer(plain));
    const opened = await openBackup(file);
    expect(opened.manifest).toEqual((await openBackup(path.join(dir, 'plain.fbk'))).manifest);
    expect((await verifyBackup(file, { scratchDir: dir })).ok).toBe(true);
  });

  it('refuses a trailer whose hash does not match, and a damaged padding', async () => {
    const bad = withTrailer(plain);
    bad[bad.byteLength - 1]! ^= 1;
    await writeFile(path.join(dir, 'bad-hash.db'), bad);
    await expect(openBackup(path.join(dir, 'bad-hash.db'))).rejects.toMatchObject({
      name: 'BackupCorruptError',
    });
    const padded = withTrailer(plain);
    const paddingAt = plain.byteLength; // the first padding byte (the plain backup is not a multiple of 512 here)
    expect(padded.byteLength - 32).toBeGreaterThan(paddingAt);
    padded[paddingAt] = 7;
    await writeFile(path.join(dir, 'bad-padding.db'), padded);
    const verdict = await verifyBackup(path.join(dir, 'bad-padding.db'), { scratchDir: dir });
    expect(verdict.ok).toBe(false);
  });
});
