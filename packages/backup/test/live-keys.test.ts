// The manifest's key count comes from the snapshot's change records in
// constant memory; it must agree with kv's own index whatever the history
// (overwrites, deletions, re-creations, lease revocations, compactions) and
// for every key size msgpack encodes differently.
import { bytes, type Command } from '@flotilla/kv';
import { seededRng, randomInt } from '@flotilla/raft';
import { Packr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { backupStream } from '../src/index.js';
import { readChange } from '../src/live-keys.js';
import { applyCommands, memoryKv, source } from './helpers.js';

async function manifestCountAndKvCount(cmds: Command[]): Promise<[number, number]> {
  const kv = await memoryKv({ snapshotChunkBytes: 2048 });
  for (const cmd of cmds) {
    try {
      await applyCommands(kv, [cmd]);
    } catch {
      // A compaction to a revision already compacted: not a change, ignored.
    }
  }
  const stream = backupStream(source(kv));
  for await (const c of stream.chunks) void c;
  const expected = (await kv.range({ key: bytes('\0'), rangeEnd: bytes('\0'), countOnly: true }))
    .count;
  await kv.close();
  return [(await stream.manifest).keyCount, expected];
}

describe('live key count from change records', () => {
  it('agrees with kv for keys of 1, 255, 256, 65,535 and 65,536 bytes, put, overwritten and deleted', async () => {
    const sizes = [1, 255, 256, 65_535, 65_536];
    const keyOf = (size: number, tag: number): Uint8Array => new Uint8Array(size).fill(0x41 + tag);
    const cmds: Command[] = [];
    for (const [t, size] of sizes.entries()) {
      cmds.push(
        { op: 'put', request: { key: keyOf(size, t), value: bytes('v') } },
        { op: 'put', request: { key: keyOf(size, t), value: bytes('v2') } },
        { op: 'put', request: { key: keyOf(size, t + 10), value: bytes('gone soon') } },
        { op: 'deleteRange', request: { key: keyOf(size, t + 10) } },
      );
    }
    const [fromRecords, fromKv] = await manifestCountAndKvCount(cmds);
    expect(fromKv).toBe(sizes.length);
    expect(fromRecords).toBe(fromKv);
  });

  it('agrees with kv over random histories with re-creations, 200+ versions, lease revocations and compactions', async () => {
    for (let seed = 1; seed <= 12; seed++) {
      const rng = seededRng(seed);
      const cmds: Command[] = [];
      let revisionGuess = 1;
      for (let i = 0; i < 400; i++) {
        const key = bytes(`k${randomInt(rng, 0, 29)}`);
        const roll = randomInt(rng, 0, 99);
        if (roll < 55) cmds.push({ op: 'put', request: { key, value: bytes(`v${i}`) } });
        else if (roll < 75) cmds.push({ op: 'deleteRange', request: { key } });
        else if (roll < 80)
          cmds.push({ op: 'deleteRange', request: { key: bytes('k1'), rangeEnd: bytes('k2') } });
        else if (roll < 85)
          cmds.push(
            { op: 'leaseGrant', request: { id: 1000 + i, ttl: 60 } },
            { op: 'put', request: { key, value: bytes('leased'), lease: 1000 + i } },
          );
        else if (roll < 90) cmds.push({ op: 'leaseRevoke', request: { id: 1000 + i - 5 } });
        else if (roll < 95)
          cmds.push({
            op: 'compact',
            request: { revision: Math.max(1, Math.floor(revisionGuess * 0.8)) },
          });
        else
          for (let v = 0; v < 150; v++)
            cmds.push({ op: 'put', request: { key: bytes('hot'), value: bytes(`${v}`) } });
        revisionGuess = cmds.length;
      }
      const [fromRecords, fromKv] = await manifestCountAndKvCount(cmds);
      expect(fromRecords, `seed ${seed}`).toBe(fromKv);
    }
  });

  it('reads records in encodings other than the short form (full decode)', () => {
    const packr = new Packr({ useRecords: false });
    expect(readChange(packr.pack([bytes('a'), bytes('1'), 1, 1, 0]))).toBe('creation');
    expect(readChange(packr.pack([bytes('a'), bytes('1'), 1, 300, 0]))).toBe('update');
    // array16 headers (0xdc) instead of fixarrays: a deletion, then a put with version 1
    expect(readChange(new Uint8Array([0xdc, 0x00, 0x01, 0xc4, 0x01, 0x61]))).toBe('deletion');
    expect(
      readChange(
        new Uint8Array([0xdc, 0x00, 0x05, 0xc4, 0x01, 0x61, 0xc4, 0x01, 0x62, 0x02, 0x01, 0x00]),
      ),
    ).toBe('creation');
    expect(() => readChange(packr.pack({ not: 'a change' }))).toThrow(
      /neither a put nor a deletion/,
    );
  });
});
