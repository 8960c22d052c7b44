// Measures the in-memory index's heap cost: writes N keys through the state
// machine into a LevelDB directory, closes it, then reopens it (which
// rebuilds the index from disk) and reports the heap growth per key.
// Run: node --expose-gc --import tsx packages/kv/scripts/measure-index.ts [keys] [versionsPerKey]

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import { encodeCommand, KvStateMachine } from '../src/index.js';

const keys = Number(process.argv[2] ?? 100_000);
const versions = Number(process.argv[3] ?? 1);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

function heap(): number {
  gc!();
  gc!();
  return process.memoryUsage().heapUsed;
}

const dir = await mkdtemp(join(tmpdir(), 'flotilla-kv-measure-'));
try {
  let db = new ClassicLevel(dir);
  const writer = await KvStateMachine.open(db);
  let index = 0;
  const value = new Uint8Array(100);
  for (let v = 0; v < versions; v++) {
    for (let at = 0; at < keys; at += 5000) {
      const entries = [];
      for (let i = at; i < Math.min(keys, at + 5000); i++) {
        entries.push({
          index: ++index,
          data: encodeCommand({
            cmd: {
              op: 'put',
              request: {
                key: new TextEncoder().encode(`key/${String(i).padStart(8, '0')}`),
                value,
              },
            },
          }),
        });
      }
      await writer.applyEntries(entries);
    }
  }
  await writer.close();
  await db.close();

  db = new ClassicLevel(dir);
  await db.open();
  const before = heap();
  const started = performance.now();
  const sm = await KvStateMachine.open(db);
  const openMs = performance.now() - started;
  const after = heap();
  const bytes = after - before;
  console.log(
    JSON.stringify({
      keys: sm.indexedKeys,
      versionsPerKey: versions,
      revision: sm.revision,
      heapBytes: bytes,
      bytesPerKey: Math.round(bytes / keys),
      openMs: Math.round(openMs),
    }),
  );
  await db.close();
} finally {
  await rm(dir, { recursive: true, force: true });
}
