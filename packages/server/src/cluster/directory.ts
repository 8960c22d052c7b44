// What the server knows about members beyond their Raft ids: names, peer URLs
// and client URLs (Raft membership carries ids only). Filled from the start
// configuration and from member add; `members()` joins it with the node's
// configuration. It also holds this member's local dial routes
// (`flotilla start --peer-route`), which are never replicated or reported.
import type { MemberInfo } from '../http/served-node.js';

export interface DirectoryEntry {
  readonly id: number;
  readonly name: string;
  readonly peerUrls: readonly string[];
  readonly clientUrls: readonly string[];
}

/** Directory entries at most (members of one cluster are few; the bound guards against a runaway caller). */
export const DIRECTORY_ENTRIES_MAX = 1_000;

export class MemberDirectory {
  private readonly entries = new Map<number, DirectoryEntry>();
  private readonly routes: ReadonlyMap<number, string>;

  /** `dialRoutes`: member id → the URL this member dials it at, whatever peer URL is announced for it (a proxy, NAT). */
  constructor(
    initial: readonly DirectoryEntry[] = [],
    dialRoutes: ReadonlyMap<number, string> = new Map(),
  ) {
    for (const e of initial) this.set(e);
    this.routes = dialRoutes;
  }

  /** Where this member dials member `id`: its local route if one is set, else the peer URL announced for it. */
  dialUrl(id: number, announced: string): string {
    return this.routes.get(id) ?? announced;
  }

  set(entry: DirectoryEntry): void {
    if (!this.entries.has(entry.id) && this.entries.size >= DIRECTORY_ENTRIES_MAX) {
      throw new RangeError(`member directory is full (${DIRECTORY_ENTRIES_MAX} entries)`);
    }
    const old = this.entries.get(entry.id);
    this.entries.set(entry.id, {
      id: entry.id,
      name: entry.name || old?.name || '',
      peerUrls: entry.peerUrls.length > 0 ? entry.peerUrls : (old?.peerUrls ?? []),
      clientUrls: entry.clientUrls.length > 0 ? entry.clientUrls : (old?.clientUrls ?? []),
    });
  }

  get(id: number): DirectoryEntry | undefined {
    return this.entries.get(id);
  }

  /** Client URLs of every member but `self`, for telling the others about a new peer. */
  otherClientUrls(self: number): string[] {
    return [...this.entries.values()]
      .filter((e) => e.id !== self)
      .flatMap((e) => e.clientUrls.slice(0, 1));
  }

  /** The members of a Raft configuration, with whatever is known about each. */
  describe(voters: readonly number[], learners: readonly number[]): MemberInfo[] {
    const info = (id: number, isLearner: boolean): MemberInfo => {
      const e = this.entries.get(id);
      return {
        id,
        name: e?.name ?? '',
        peerUrls: e?.peerUrls ?? [],
        clientUrls: e?.clientUrls ?? [],
        isLearner,
      };
    };
    return [...voters.map((id) => info(id, false)), ...learners.map((id) => info(id, true))];
  }
}
