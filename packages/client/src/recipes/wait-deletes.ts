// The heart of etcd's lock and election: wait until every key under a prefix
// created before mine is deleted. Waits for one predecessor at a time (the
// newest one older than mine), so a release wakes only the next waiter.

import { text } from '@flotilla/kv';
import { AbortedError } from '../errors.js';
import type { KV, KeyValue } from '../types.js';

/** Keys examined per range when looking for predecessors. */
export const WAITERS_MAX = 10_000;

/** The newest key under `prefix` with createRevision < `below`, and the revision of that read. */
async function predecessor(
  kv: KV,
  prefix: string,
  below: number,
): Promise<{ kv: KeyValue | undefined; revision: number }> {
  const res = await kv.range({
    prefix,
    sort: { target: 'CREATE', order: 'ASCEND' },
    keysOnly: true,
    limit: WAITERS_MAX,
  });
  let found: KeyValue | undefined;
  for (const item of res.kvs) if (item.createRevision < below) found = item;
  return { kv: found, revision: res.header.revision };
}

export async function waitDeletes(
  kv: KV,
  prefix: string,
  below: number,
  signal?: AbortSignal,
): Promise<void> {
  for (;;) {
    if (signal?.aborted) throw new AbortedError('waiting for the lock/leadership');
    const { kv: pred, revision } = await predecessor(kv, prefix, below);
    if (!pred) return;
    await waitDelete(kv, text(pred.key), revision, signal);
  }
}

/** Resolves when `key` is deleted after `revision`. */
async function waitDelete(
  kv: KV,
  key: string,
  revision: number,
  signal?: AbortSignal,
): Promise<void> {
  // Checked again here: an abort during the predecessor lookup fired no event we could still hear.
  if (signal?.aborted) throw new AbortedError('waiting for the lock/leadership');
  const watch = kv.watch(key, { startRevision: revision + 1, filters: ['NOPUT'] });
  const onAbort = () => watch.cancel();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for await (const batch of watch) {
      if (batch.events.some((e) => e.type === 'DELETE')) return;
    }
    if (signal?.aborted) throw new AbortedError('waiting for the lock/leadership');
  } finally {
    signal?.removeEventListener('abort', onAbort);
    watch.cancel();
  }
}
