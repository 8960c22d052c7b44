// The driver's requests on a node that is not the leader: proposals and
// transfers are refused with the leader it knows (the driver forwards them);
// a follower that knows its leader forwards a read-index request to it;
// transport reports concern only a leader's view of its followers.
import { NotLeaderError } from './errors.js';
import type { LocalInput, LocalResult } from './local-input.js';
import type { Raft } from './raft.js';
import { NONE } from './types.js';

export function stepNonLeaderLocal<I extends LocalInput>(r: Raft, input: I): LocalResult<I>;
export function stepNonLeaderLocal(r: Raft, input: LocalInput): LocalResult<LocalInput> {
  switch (input.type) {
    case 'propose':
    case 'proposeConfChange':
    case 'transferLeadership':
      return { ok: false, error: new NotLeaderError(r.lead, input.type) };
    case 'readIndex':
      if (r.role !== 'follower' || r.lead === NONE)
        return { ok: false, error: new NotLeaderError(r.lead, 'readIndex') };
      r.send({ type: 'readIndex', from: r.id, to: r.lead, term: 0, context: input.context });
      return { ok: true };
    case 'unreachable':
    case 'snapshotStatus':
      return undefined;
  }
}
