// Where a backup's state comes from: a running node, or a KV state machine
// the caller holds (an embedded store, a scratch restore). Both give a
// snapshot consistent at one applied index, taken while applies continue.
import { KvStateMachine, type KvSnapshot } from '@flotilla/kv';
import { FlotillaNode } from '@flotilla/node';

export interface BackupSource {
  readonly clusterId: string;
  readonly memberId: number;
  /** A consistent KV snapshot at one applied index. */
  snapshot(): Promise<KvSnapshot>;
}

/** A running node (any role: a follower's applied state is a consistent point in time too). */
export function nodeSource(node: FlotillaNode): BackupSource {
  return { clusterId: node.clusterId, memberId: node.id, snapshot: () => node.kvSnapshot() };
}

/** A KV state machine the caller owns. */
export function kvSource(
  kv: KvStateMachine,
  identity: { clusterId: string; memberId: number },
): BackupSource {
  return { ...identity, snapshot: () => kv.snapshot() };
}

export function toSource(from: FlotillaNode | BackupSource): BackupSource {
  return from instanceof FlotillaNode ? nodeSource(from) : from;
}

const ALL = new Uint8Array([0]);

/** Live keys in kv's index now: verify's count, independent of the manifest's (which comes from the records). */
export async function countKv(kv: KvStateMachine): Promise<number> {
  return (await kv.range({ key: ALL, rangeEnd: ALL, countOnly: true })).count;
}
