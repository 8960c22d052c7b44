// The driver's requests to the core (propose, read index, transfer, reports
// from the transport) as data, stepped like messages: RawNode only wraps each
// request into a LocalInput and hands it to stepLocal, and every decision is
// made by the role's step function (leader-requests.ts for the leader,
// follower-requests.ts for everyone else), as etcd-io/raft does with its
// local message types. They never travel on the wire.
import type {
  InvalidConfChangeError,
  NotLeaderError,
  ProposalDroppedError,
  ReadIndexRefusedError,
  TransferRefusedError,
} from './errors.js';
import type { ConfChange, NodeId } from './types.js';

export type LocalInput =
  | { readonly type: 'propose'; readonly data: Uint8Array }
  | { readonly type: 'proposeConfChange'; readonly change: ConfChange }
  | { readonly type: 'readIndex'; readonly context: string }
  | { readonly type: 'transferLeadership'; readonly to: NodeId }
  /** The transport could not reach `id`. */
  | { readonly type: 'unreachable'; readonly id: NodeId }
  /** The snapshot message to `id` was delivered (ok) or failed. */
  | { readonly type: 'snapshotStatus'; readonly id: NodeId; readonly ok: boolean };

export type ProposeResult =
  | { readonly ok: true; readonly index: number; readonly term: number }
  | {
      readonly ok: false;
      readonly error: NotLeaderError | ProposalDroppedError | InvalidConfChangeError;
    };

export type RequestResult =
  | { readonly ok: true }
  | {
      readonly ok: false;
      readonly error: NotLeaderError | TransferRefusedError | ReadIndexRefusedError;
    };

/** What stepping each kind of local input answers. */
export interface LocalResults {
  readonly propose: ProposeResult;
  readonly proposeConfChange: ProposeResult;
  readonly readIndex: RequestResult;
  readonly transferLeadership: RequestResult;
  readonly unreachable: undefined;
  readonly snapshotStatus: undefined;
}

export type LocalResult<I extends LocalInput> = LocalResults[I['type']];
