// /flotilla/peer/add tells a member where another member listens, and the
// member then dials that address for the id. Rewriting the address of a
// current member would redirect its Raft traffic to the caller's choice, so
// an announcement for an id that is already a member is refused unless the
// member announces itself. Peer identity (who is calling, as a member) comes
// from the transport's authentication; until a caller can be identified as a
// member, `announcer` is undefined and such announcements are always refused.
// Announcements for new members (what member add sends, before the
// configuration change) are unaffected; with auth on, the route needs root.
import { type ErrorCategory, FlotillaError } from '@flotilla/errors';
import type { ServedNode } from '../http/served-node.js';

export class PeerAnnounceRefusedError extends FlotillaError {
  readonly category: ErrorCategory = 'environment';
  override readonly name = 'PeerAnnounceRefusedError';
}

export function checkPeerAnnouncement(
  node: Pick<ServedNode, 'isMember'>,
  id: number,
  announcer: number | undefined,
): void {
  if (!node.isMember(id) || announcer === id) return;
  throw new PeerAnnounceRefusedError(
    `member ${id.toString(16)} is already in the cluster; its peer address can only be announced by itself (remove and re-add it to move it)`,
  );
}
