// Who a data directory belongs to. Written on first open, checked on every
// open: a copied directory must never silently join as another member.
import { CorruptionError, IdentityMismatchError } from '../errors.js';
import { invariant } from '../invariant.js';
import { decodeRecord } from '../record.js';

export interface Identity {
  readonly clusterId: string;
  readonly nodeId: number;
}

export function checkIdentityArgs(id: Identity): void {
  invariant(
    typeof id.clusterId === 'string' && id.clusterId.length > 0,
    'clusterId must be a non-empty string',
  );
  invariant(
    Number.isSafeInteger(id.nodeId) && id.nodeId > 0,
    `nodeId must be a positive integer, got ${id.nodeId}`,
  );
}

export function decodeIdentity(record: Uint8Array): Identity {
  const value = decodeRecord(record, 'identity') as Partial<Identity> | null;
  if (typeof value?.clusterId !== 'string' || typeof value.nodeId !== 'number') {
    throw new CorruptionError('identity', 'record is not a cluster id and node id');
  }
  return { clusterId: value.clusterId, nodeId: value.nodeId };
}

/** Throws IdentityMismatchError naming the id that differs (node id first). */
export function checkIdentity(dir: string, stored: Identity, given: Identity): void {
  if (stored.nodeId !== given.nodeId) throw new IdentityMismatchError(dir, 'nodeId', stored, given);
  if (stored.clusterId !== given.clusterId)
    throw new IdentityMismatchError(dir, 'clusterId', stored, given);
}
