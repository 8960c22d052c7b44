// Authorization of a command at apply time, against the replicated auth
// state: the same decision on every replica, and no window between a check
// on the receiving member and the write (a revocation committed before the
// write is always seen). Follows etcd's apply-side checks (apply_auth.go).
import { fromKeyStr } from '../bytes.js';
import type { Command } from '../command.js';
import {
  InvalidAuthTokenError,
  PermissionDeniedError,
  UserEmptyError,
  type KvError,
} from '../errors.js';
import type { KvState } from '../store.js';
import type { DeleteRangeRequest, PutRequest, RequestOp, TxnRequest } from '../types.js';
import type { AuthContext } from './types.js';

type Need = (wanted: 'READ' | 'WRITE', key: Uint8Array, rangeEnd?: Uint8Array) => void;

/**
 * Undefined when `auth` may run `cmd` now, else the refusal. No context (an
 * in-process caller) and auth disabled at apply pass; an auth command needs
 * root, except `enable` while auth is off (etcd lets anyone enable it).
 */
export function authorize(
  state: KvState,
  auth: AuthContext | undefined,
  cmd: Command,
): KvError | undefined {
  const store = state.auth;
  if (auth === undefined || !store.enabled) return undefined;
  if (auth.user === undefined || auth.user.length === 0) return new UserEmptyError();
  const user = store.user(auth.user);
  // Deleted, re-added, password changed or a role revoked since the token was issued.
  if (!user || auth.tokenRevision === undefined || user.epoch > auth.tokenRevision)
    return new InvalidAuthTokenError();
  if (store.isRoot(auth.user)) return undefined;
  const name = auth.user;
  const need: Need = (wanted, key, rangeEnd) => {
    if (!store.permitted(name, wanted, key, rangeEnd)) throw new PermissionDeniedError();
  };
  try {
    checkCommand(state, cmd, need);
    return undefined;
  } catch (err) {
    if (err instanceof PermissionDeniedError) return err;
    throw err;
  }
}

function checkCommand(state: KvState, cmd: Command, need: Need): void {
  switch (cmd.op) {
    case 'put':
      return checkPut(state, cmd.request, need);
    case 'deleteRange':
      return checkDelete(cmd.request, need);
    case 'txn':
      return checkTxn(state, cmd.request, need);
    case 'leaseGrant':
      return; // etcd: any authenticated user may grant a lease
    case 'register':
      return; // changes no key: any authenticated user starts sessions for its own client ids
    case 'leaseRevoke':
      return leaseKeysWritable(state, cmd.request.id, need);
    case 'compact': // stricter than etcd 3.4 (which lets any user compact): compaction destroys history
    case 'leaseCheckpoint':
    case 'leaseExpire':
    case 'auth':
    case 'member':
      throw new PermissionDeniedError();
  }
}

/** etcd's checkLeasePuts: attaching to or revoking a lease needs write permission on every key it holds. */
function leaseKeysWritable(state: KvState, id: number, need: Need): void {
  const lease = state.leases.get(id);
  if (!lease) return; // the command fails on its own with LeaseNotFoundError
  for (const key of [...lease.keys].sort()) need('WRITE', fromKeyStr(key));
}

function checkPut(state: KvState, req: PutRequest, need: Need): void {
  need('WRITE', req.key);
  if (req.prevKv) need('READ', req.key);
  if (req.lease) leaseKeysWritable(state, req.lease, need);
}

function checkDelete(req: DeleteRangeRequest, need: Need): void {
  need('WRITE', req.key, req.rangeEnd);
  if (req.prevKv) need('READ', req.key, req.rangeEnd);
}

/** Every branch, whichever one the compares pick: a forbidden key anywhere refuses the whole txn. */
function checkTxn(state: KvState, req: TxnRequest, need: Need): void {
  for (const c of req.compare) need('READ', c.key, c.rangeEnd);
  for (const op of [...req.success, ...req.failure]) checkOp(state, op, need);
}

function checkOp(state: KvState, op: RequestOp, need: Need): void {
  if (op.requestRange) need('READ', op.requestRange.key, op.requestRange.rangeEnd);
  else if (op.requestPut) checkPut(state, op.requestPut, need);
  else if (op.requestDeleteRange) checkDelete(op.requestDeleteRange, need);
  else if (op.requestTxn) checkTxn(state, op.requestTxn, need);
}
