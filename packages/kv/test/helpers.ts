// Shared test helpers: an in-memory state machine and terse command builders.

import { MemoryLevel } from 'memory-level';
import {
  bytes,
  encodeCommand,
  KvStateMachine,
  type ApplyResult,
  type Command,
  type CommandEnvelope,
  type KvLimits,
  type KvSnapshot,
  type Watcher,
  type WatchResponse,
} from '../src/index.js';

export function memoryDb(): MemoryLevel<string, string> {
  return new MemoryLevel();
}

export async function openMemory(
  limits?: Partial<KvLimits>,
): Promise<{ sm: KvStateMachine; db: MemoryLevel<string, string> }> {
  const db = memoryDb();
  const sm = await KvStateMachine.open(db, limits ? { limits } : {});
  return { sm, db };
}

/** Applies commands one entry each, continuing from the state machine's applied index. */
export async function apply(
  sm: KvStateMachine,
  ...cmds: (Command | CommandEnvelope)[]
): Promise<ApplyResult[]> {
  let index = sm.appliedIndex;
  const entries = cmds.map((c) => ({
    index: ++index,
    data: encodeCommand('cmd' in c ? c : { cmd: c }),
  }));
  return sm.applyEntries(entries);
}

/** Applies one command and returns its response, failing the test on an error result. */
export async function ok<T = unknown>(
  sm: KvStateMachine,
  cmd: Command | CommandEnvelope,
): Promise<T> {
  const [r] = await apply(sm, cmd);
  if (!r!.ok) throw new Error(`expected success, got ${r!.error.name}: ${r!.error.message}`);
  return r!.response as T;
}

export const k = bytes;

export function put(key: string, value: string, extra: Record<string, unknown> = {}): Command {
  return { op: 'put', request: { key: k(key), value: k(value), ...extra } };
}

export function del(key: string, rangeEnd?: string, prevKv = false): Command {
  return {
    op: 'deleteRange',
    request: { key: k(key), ...(rangeEnd !== undefined ? { rangeEnd: k(rangeEnd) } : {}), prevKv },
  };
}

export function grant(id: number, ttl: number): Command {
  return { op: 'leaseGrant', request: { id, ttl } };
}

/** Drains everything a watcher has queued right now. */
export function drain(w: Watcher): WatchResponse[] {
  const out: WatchResponse[] = [];
  for (let r = w.poll(); r; r = w.poll()) out.push(r);
  return out;
}

/** Waits (bounded) until `cond` holds; watch catch-up runs on LevelDB reads, so it needs a few turns. */
export async function until(cond: () => boolean, what: string, turnsMax = 10_000): Promise<void> {
  for (let i = 0; i < turnsMax; i++) {
    if (cond()) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Reads a snapshot's chunks to the end. */
export async function snapshotChunks(snap: KvSnapshot): Promise<Uint8Array[]> {
  const chunks: Uint8Array[] = [];
  for await (const c of snap.chunks) chunks.push(c);
  return chunks;
}

/** Chunks as the stream restore() takes. */
export async function* replayChunks(chunks: Uint8Array[]): AsyncGenerator<Uint8Array> {
  yield* chunks;
}
