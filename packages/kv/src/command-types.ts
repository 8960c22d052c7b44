// The commands the state machine applies, as data. In a module of their own so
// that command.ts (encoding, decoding) and validate.ts (checking a decoded
// command) share them without importing each other.
import type {
  CompactionRequest,
  DeleteRangeRequest,
  LeaseCheckpointRequest,
  LeaseExpireRequest,
  LeaseGrantRequest,
  LeaseRevokeRequest,
  PutRequest,
  TxnRequest,
} from './types.js';
import type { AuthContext, AuthRequest } from './auth/types.js';
import type { MemberRequest } from './members.js';

export type Command =
  | { op: 'put'; request: PutRequest }
  | { op: 'deleteRange'; request: DeleteRangeRequest }
  | { op: 'txn'; request: TxnRequest }
  | { op: 'compact'; request: CompactionRequest }
  | { op: 'leaseGrant'; request: LeaseGrantRequest }
  | { op: 'leaseRevoke'; request: LeaseRevokeRequest }
  | { op: 'leaseCheckpoint'; request: LeaseCheckpointRequest }
  | { op: 'leaseExpire'; request: LeaseExpireRequest }
  | { op: 'auth'; request: AuthRequest }
  /** Member metadata (members.ts): the context of a conf-change entry, a member update or publish. */
  | { op: 'member'; request: MemberRequest }
  /** A client id's seq 1: enters it in the exactly-once table and changes nothing else (see clients.ts). */
  | { op: 'register' };

export type CommandOp = Command['op'];

/** `clientId` + `seq` make a write exactly-once (seq grows by client; seq 1 is the id's `register`, writes from 2). */
export interface CommandEnvelope {
  clientId?: string;
  seq?: number;
  /** Set by a member serving a network caller (see AuthContext); absent for in-process callers. */
  auth?: AuthContext;
  cmd: Command;
}
