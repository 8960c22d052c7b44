// This member's side of the replicated member table (see @flotilla/kv
// members.ts): its transport follows the peer URLs the table holds (so a
// member update or a new member reaches every member through the log), and
// once a leader is known it publishes its own name and client URLs there, as
// etcd's publish does after start. A member whose data directory predates the
// table fills its own record in this way at its first start.
import { type FlotillaNode, isNodeStopped } from '@flotilla/node';
import type { MemberRecord, MemberRequest, MemberView } from '@flotilla/kv';
import type { DirectoryEntry, MemberDirectory } from './directory.js';

type SetRequest = MemberRequest & { readonly kind: 'set' };

/** Between attempts to publish (no leader yet, a leader change). */
export const PUBLISH_RETRY_MS = 1_000;

export function peerAddress(url: string): { host: string; port: number } {
  const u = new URL(url);
  return { host: u.hostname, port: Number(u.port) };
}

/** Dials every member at the first peer URL its record has (a --peer-route still wins); returns the unsubscribe. */
export function followMemberTable(node: FlotillaNode, directory: MemberDirectory): () => void {
  let view: MemberView | undefined;
  let seen = -1;
  const dialled = new Map<number, string>();
  const sync = (): void => {
    const table = node.members; // a new object after a snapshot install
    if (table === view && table.changes === seen) return;
    view = table;
    seen = table.changes;
    for (const m of table.list()) {
      const url = m.peerUrls[0];
      if (m.id === node.id || url === undefined || dialled.get(m.id) === url) continue;
      dialled.set(m.id, url);
      node.addPeer(m.id, peerAddress(directory.dialUrl(m.id, url)));
    }
  };
  sync();
  // Not 'applied': in a worker node that event crosses to this thread for every applied batch.
  return node.on('membersChanged', sync);
}

/**
 * What this member must record about itself, or undefined if the table has
 * it already: its name and client URLs always win (they are its own to say);
 * peer URLs only fill an empty record (they change by member update).
 */
export function publishRequest(
  stored: MemberRecord | undefined,
  self: DirectoryEntry,
  isLearner: boolean,
): SetRequest | undefined {
  const same = (a: readonly string[], b: readonly string[]) =>
    a.length === b.length && a.every((x, i) => x === b[i]);
  const name = self.name !== '' && stored?.name !== self.name ? self.name : undefined;
  const clientUrls =
    self.clientUrls.length > 0 && !same(stored?.clientUrls ?? [], self.clientUrls)
      ? self.clientUrls
      : undefined;
  const peerUrls =
    self.peerUrls.length > 0 && (stored?.peerUrls.length ?? 0) === 0 ? self.peerUrls : undefined;
  if (stored !== undefined && name === undefined && clientUrls === undefined && !peerUrls)
    return undefined;
  return {
    kind: 'set',
    id: self.id,
    ...(name !== undefined ? { name } : {}),
    ...(clientUrls ? { clientUrls } : {}),
    ...(peerUrls ? { peerUrls } : {}),
    ...(stored === undefined ? { isLearner } : {}),
  };
}

/**
 * Publishes `self` (this member's entry) into the table once a leader is
 * known, retrying every `retryMs` until it is recorded or the node stops.
 * Resolves with whether it proposed a change.
 */
export async function publishSelf(
  node: FlotillaNode,
  self: DirectoryEntry,
  retryMs = PUBLISH_RETRY_MS,
): Promise<boolean> {
  for (;;) {
    try {
      await node.ready();
      const conf = node.status().confState;
      const isMember = [...conf.voters, ...conf.learners].includes(node.id);
      // Not a member yet: this member started before its addition was applied here.
      if (isMember) {
        const stored = node.members.get(node.id);
        const req = publishRequest(stored, self, conf.learners.includes(node.id));
        if (req === undefined) return false;
        await node.updateMember(req);
        return true;
      }
    } catch (err) {
      if (isNodeStopped(err)) return false;
    }
    await new Promise((resolve) => setTimeout(resolve, retryMs).unref());
  }
}
