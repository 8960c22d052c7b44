// Test helpers: a memory KV state machine with data, temp directories.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { bytes, encodeCommand, KvStateMachine, type Command, type KvLimits } from '@flotilla/kv';
import { MemoryLevel } from 'memory-level';
import { kvSource, type BackupSource } from '../src/index.js';

export async function memoryKv(limits: Partial<KvLimits> = {}): Promise<KvStateMachine> {
  return KvStateMachine.open(new MemoryLevel<string, Uint8Array>({ valueEncoding: 'view' }), {
    limits,
  });
}

/** Applies commands as consecutive committed entries. */
export async function applyCommands(kv: KvStateMachine, cmds: readonly Command[]): Promise<void> {
  const start = kv.appliedIndex + 1;
  const results = await kv.applyEntries(
    cmds.map((cmd, i) => ({ index: start + i, data: encodeCommand({ cmd }) })),
  );
  for (const r of results) if (!r.ok) throw r.error;
}

/** A state with history: puts, overwrites, deletes, a lease with a key, a compaction. */
export async function richKv(
  keys: number,
  limits: Partial<KvLimits> = {},
): Promise<KvStateMachine> {
  const kv = await memoryKv(limits);
  const cmds: Command[] = [];
  for (let i = 0; i < keys; i++)
    cmds.push({
      op: 'put',
      request: { key: bytes(`k/${String(i).padStart(6, '0')}`), value: bytes(`v${i}-`.repeat(8)) },
    });
  for (let i = 0; i < keys; i += 3)
    cmds.push({
      op: 'put',
      request: { key: bytes(`k/${String(i).padStart(6, '0')}`), value: bytes(`second ${i}`) },
    });
  for (let i = 1; i < keys; i += 7)
    cmds.push({ op: 'deleteRange', request: { key: bytes(`k/${String(i).padStart(6, '0')}`) } });
  cmds.push({ op: 'leaseGrant', request: { id: 77, ttl: 60 } });
  cmds.push({ op: 'put', request: { key: bytes('leased'), value: bytes('x'), lease: 77 } });
  await applyCommands(kv, cmds);
  await applyCommands(kv, [{ op: 'compact', request: { revision: Math.floor(kv.revision / 2) } }]);
  return kv;
}

export function source(kv: KvStateMachine): BackupSource {
  return kvSource(kv, { clusterId: 'test-cluster', memberId: 1 });
}

export async function tempDir(
  prefix = 'flotilla-backup-test-',
): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}
