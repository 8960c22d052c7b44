// The backup file: round trip through verify, the manifest, the content hash,
// and refusal of truncated, bit-flipped and foreign files.
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { bytes, text } from '@flotilla/kv';
import { seededRng, randomInt } from '@flotilla/raft';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  backupStream,
  FORMAT_VERSION,
  openBackup,
  saveBackup,
  verifyBackup,
  type BackupSource,
} from '../src/index.js';
import { MAGIC, PREAMBLE_BYTES } from '../src/format.js';
import { restoreContent } from '../src/restore-check.js';
import { applyCommands, memoryKv, richKv, source, tempDir } from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
let good: string;
let goodBytes: Uint8Array;

beforeAll(async () => {
  ({ dir, cleanup } = await tempDir());
  const kv = await richKv(600, { snapshotChunkBytes: 4096 });
  good = path.join(dir, 'good.fbk');
  await saveBackup(source(kv), good);
  goodBytes = new Uint8Array(await readFile(good));
  await kv.close();
});
afterAll(() => cleanup());

async function writeVariant(name: string, data: Uint8Array): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, data);
  return file;
}

describe('save and verify', () => {
  it('the manifest records the state at the snapshot point and verify restores it and agrees', async () => {
    const kv = await richKv(200);
    const live = (await kv.range({ key: bytes('\0'), rangeEnd: bytes('\0'), countOnly: true }))
      .count;
    const file = path.join(dir, 'manifest.fbk');
    const saved = await saveBackup(source(kv), file);
    const m = saved.manifest;
    expect(m).toMatchObject({
      formatVersion: FORMAT_VERSION,
      clusterId: 'test-cluster',
      memberId: 1,
      revision: kv.revision,
      compactRevision: kv.compactRevision,
      appliedIndex: kv.appliedIndex,
      keyCount: live,
    });
    const manifestBytes = new TextEncoder().encode(JSON.stringify(m)).byteLength;
    expect(saved.bytes).toBe(PREAMBLE_BYTES + m.contentBytes + manifestBytes + 16);
    const verdict = await verifyBackup(file);
    expect(verdict.ok).toBe(true);
    expect(verdict.line).toMatch(/^OK .*revision \d+, applied index \d+, \d+ keys/);
    expect(await verifyBackup(file, { scratch: 'memory' })).toMatchObject({ ok: true });
    await kv.close();
  });

  it('the backup is the state at one applied index even while applies continue', async () => {
    const kv = await richKv(300, { snapshotChunkBytes: 1024 });
    const at = { index: kv.appliedIndex, revision: kv.revision };
    const stream = backupStream(source(kv));
    const parts: Uint8Array[] = [];
    let writes = 0;
    for await (const chunk of stream.chunks) {
      parts.push(chunk);
      // Applies between chunks must not leak into the snapshot.
      await applyCommands(kv, [
        { op: 'put', request: { key: bytes(`late/${writes++}`), value: bytes('after') } },
      ]);
    }
    const m = await stream.manifest;
    expect(writes).toBeGreaterThan(3);
    expect(m.appliedIndex).toBe(at.index);
    expect(m.revision).toBe(at.revision);
    const file = await writeVariant('during-writes.fbk', Buffer.concat(parts));
    const verdict = await verifyBackup(file, { scratch: 'memory' });
    expect(verdict).toMatchObject({ ok: true });
    await kv.close();
  });

  it('the content hash depends on the records, not on how they were chunked', async () => {
    const small = await richKv(150, { snapshotChunkBytes: 512 });
    const large = await richKv(150, { snapshotChunkBytes: 1024 * 1024 });
    const a = await saveBackup(source(small), path.join(dir, 'small-chunks.fbk'), {
      nowMs: () => 0,
    });
    const b = await saveBackup(source(large), path.join(dir, 'large-chunks.fbk'), {
      nowMs: () => 0,
    });
    expect(a.manifest.contentSha256).not.toBe(b.manifest.contentSha256);
    expect(a.manifest.contentHash).toBe(b.manifest.contentHash);
    expect(a.manifest.recordCount).toBe(b.manifest.recordCount);
    await small.close();
    await large.close();
  });

  it('a save that fails midway leaves neither a file under the final name nor a temporary', async () => {
    const kv = await richKv(100, { snapshotChunkBytes: 256 });
    const inner = source(kv);
    const failing: BackupSource = {
      ...inner,
      snapshot: async () => {
        const snap = await inner.snapshot();
        async function* cut(): AsyncGenerator<Uint8Array> {
          let n = 0;
          for await (const c of snap.chunks) {
            if (n++ === 3) throw new Error('disk went away');
            yield c;
          }
        }
        return { ...snap, chunks: cut() };
      },
    };
    const sub = path.join(dir, 'failing');
    await mkdir(sub);
    await expect(saveBackup(failing, path.join(sub, 'x.fbk'))).rejects.toThrow('disk went away');
    expect(await readdir(sub)).toEqual([]);
    await kv.close();
  });

  it('the key count is the one at the snapshot revision while puts, deletes and a compaction run during the save', async () => {
    const kv = await richKv(400, { snapshotChunkBytes: 1024 });
    const atSnapshot = (
      await kv.range({ key: bytes('\0'), rangeEnd: bytes('\0'), countOnly: true })
    ).count;
    const stream = backupStream(source(kv));
    const parts: Uint8Array[] = [];
    let i = 0;
    for await (const chunk of stream.chunks) {
      parts.push(chunk);
      await applyCommands(kv, [
        { op: 'put', request: { key: bytes(`new/${i}`), value: bytes('n') } },
        { op: 'deleteRange', request: { key: bytes(`k/${String(i * 3).padStart(6, '0')}`) } },
        { op: 'compact', request: { revision: kv.revision } },
      ]);
      i++;
    }
    const m = await stream.manifest;
    expect(i).toBeGreaterThan(3);
    expect(m.keyCount).toBe(atSnapshot);
    const file = await writeVariant('count-under-load.fbk', Buffer.concat(parts));
    expect(await verifyBackup(file, { scratch: 'memory' })).toMatchObject({ ok: true });
    await kv.close();
  });
});

describe('verify refuses bad files with a clear verdict', () => {
  it('the good file verifies', async () => {
    expect((await verifyBackup(good, { scratch: 'memory' })).ok).toBe(true);
  });

  it('truncated anywhere: refused as truncated', async () => {
    const rng = seededRng(11);
    const cuts = [
      0,
      3,
      MAGIC.byteLength,
      PREAMBLE_BYTES,
      PREAMBLE_BYTES + 1,
      goodBytes.byteLength - 1,
      goodBytes.byteLength - 9,
      goodBytes.byteLength - 40,
    ];
    for (let i = 0; i < 8; i++) cuts.push(randomInt(rng, PREAMBLE_BYTES, goodBytes.byteLength - 1));
    for (const cut of cuts) {
      const file = await writeVariant(`cut-${cut}.fbk`, goodBytes.subarray(0, cut));
      const v = await verifyBackup(file, { scratch: 'memory' });
      expect(v.ok, `cut at ${cut}`).toBe(false);
      if (!v.ok) {
        // An empty file has nothing of a backup: that one is "foreign" (the file is empty).
        expect(v.kind, `cut at ${cut}: ${v.line}`).toBe(cut === 0 ? 'foreign' : 'truncated');
        expect(v.line).toMatch(/^FAILED /);
      }
    }
  });

  it('one flipped bit anywhere (preamble, content, manifest, trailer): refused', async () => {
    const rng = seededRng(12);
    const m = (await openBackup(good)).manifest;
    const contentEnd = PREAMBLE_BYTES + m.contentBytes;
    const positions = [
      0,
      MAGIC.byteLength + 3,
      PREAMBLE_BYTES,
      PREAMBLE_BYTES + 5,
      contentEnd - 1,
      contentEnd + 2,
      goodBytes.byteLength - 20,
      goodBytes.byteLength - 12,
      goodBytes.byteLength - 1,
    ];
    for (let i = 0; i < 16; i++) positions.push(randomInt(rng, 0, goodBytes.byteLength - 1));
    const kinds = new Set<string>();
    for (const pos of positions) {
      const flipped = new Uint8Array(goodBytes);
      flipped[pos]! ^= 1 << randomInt(rng, 0, 7);
      const file = await writeVariant(`flip-${pos}.fbk`, flipped);
      const v = await verifyBackup(file, { scratch: 'memory' });
      expect(v.ok, `bit flip at byte ${pos}`).toBe(false);
      if (!v.ok) kinds.add(v.kind);
    }
    expect(kinds.has('corrupt')).toBe(true);
  });

  it('foreign files are refused as not a backup, naming what they look like', async () => {
    const cases: [string, Uint8Array, RegExp][] = [
      ['empty', new Uint8Array(0), /empty/],
      ['json', bytes('{"hello":"world"}'), /not a Flotilla backup/],
      ['raft-snapshot', bytes('FLSN\u0001 some snapshot data here'), /Raft snapshot file/],
      [
        'random',
        Uint8Array.from({ length: 4096 }, (_, i) => (i * 7919) % 251),
        /starts with bytes/,
      ],
    ];
    for (const [name, data, message] of cases) {
      const v = await verifyBackup(await writeVariant(`foreign-${name}.bin`, data));
      expect(v.ok).toBe(false);
      if (!v.ok) {
        expect(v.kind).toBe('foreign');
        expect(v.reason).toMatch(message);
      }
    }
  });

  it('a newer format version is refused as unsupported, saying to upgrade', async () => {
    // A future format is a different file throughout; here only the version differs, and the manifest (which says 1) is rewritten too.
    const json = JSON.stringify({ ...(await openBackup(good)).manifest, formatVersion: 2 });
    const other = new Uint8Array(goodBytes);
    new DataView(other.buffer).setUint32(MAGIC.byteLength, 2);
    const file = await writeVariant('v2.fbk', resign(other, json));
    const v = await verifyBackup(file);
    expect(v).toMatchObject({ ok: false, kind: 'unsupported' });
    if (!v.ok) expect(v.reason).toMatch(/newer Flotilla/);
  });

  it('a manifest that lies (re-signed with another key count) is caught by the restore check', async () => {
    const m = (await openBackup(good)).manifest;
    const file = await writeVariant(
      'lying.fbk',
      resign(goodBytes, JSON.stringify({ ...m, keyCount: m.keyCount + 1 })),
    );
    const v = await verifyBackup(file);
    expect(v).toMatchObject({ ok: false, kind: 'mismatch' });
    if (!v.ok) expect(v.reason).toMatch(/keyCount/);
  });

  it('a missing file is unreadable, not a crash', async () => {
    expect(await verifyBackup(path.join(dir, 'nope.fbk'))).toMatchObject({
      ok: false,
      kind: 'unreadable',
    });
  });

  it('values survive byte for byte (checked through a restored store)', async () => {
    const kv = await memoryKv();
    const value = Uint8Array.from({ length: 3000 }, (_, i) => (i * 31) % 256);
    await applyCommands(kv, [
      { op: 'put', request: { key: bytes('bin'), value } },
      { op: 'put', request: { key: bytes('txt'), value: bytes('héllo') } },
    ]);
    const file = path.join(dir, 'values.fbk');
    await saveBackup(source(kv), file);
    const restored = await memoryKv();
    await restoreContent(restored, await openBackup(file));
    expect((await restored.range({ key: bytes('bin') })).kvs[0]!.value).toEqual(value);
    expect(text((await restored.range({ key: bytes('txt') })).kvs[0]!.value)).toBe('héllo');
    await kv.close();
    await restored.close();
  });
});

/** Replaces the trailer of a backup with `json` and a correct CRC, keeping the content. */
function resign(file: Uint8Array, json: string): Uint8Array {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const oldLen = view.getUint32(file.byteLength - 16);
  const body = file.subarray(0, file.byteLength - 16 - oldLen);
  const manifest = new TextEncoder().encode(json);
  const out = new Uint8Array(body.byteLength + manifest.byteLength + 16);
  out.set(body, 0);
  out.set(manifest, body.byteLength);
  const v = new DataView(out.buffer);
  v.setUint32(body.byteLength + manifest.byteLength, manifest.byteLength);
  v.setUint32(body.byteLength + manifest.byteLength + 4, crc32(manifest));
  out.set(new TextEncoder().encode('FLBK-END'), body.byteLength + manifest.byteLength + 8);
  return out;
}
