// ServedNode over a real @flotilla/node FlotillaNode: the HTTP layer's view of
// a node, plus the member directory (names and URLs) that Raft does not carry.
import { type ErrorCategory, FlotillaError } from '@flotilla/errors';
import { createHash } from 'node:crypto';
import type { FlotillaNode, HistogramSummary } from '@flotilla/node';
import { LeaseNotFoundError, type WatchRequest } from '@flotilla/kv';
import type {
  AddMemberRequest,
  LeaseTtlResult,
  MemberInfo,
  NodeMetricsSnapshot,
  Quantiles,
  ServedNode,
  ServedStatus,
  WatchStream,
  WriteContext,
} from '../http/served-node.js';
import { MemberDirectory, type DirectoryEntry } from './directory.js';
import { memberIdOf } from './member-id.js';
import { peerAddress } from './member-table.js';

/** A membership request that cannot be carried out as asked (maps to FailedPrecondition). */
export class MembershipError extends FlotillaError {
  readonly category: ErrorCategory = 'badInput';
  override readonly name = 'MembershipError';
}

/** The member named in a request is not in the cluster (maps to NotFound). */
export class MemberNotFoundError extends FlotillaError {
  readonly category: ErrorCategory = 'badInput';
  override readonly name = 'MemberNotFoundError';
  constructor(readonly id: number) {
    super(`member ${id.toString(16)} is not in the cluster; see member list`);
  }
}

/** etcd reports cluster ids as uint64; Flotilla's is a string, so the wire shows a stable hash of it. */
export function wireClusterId(clusterId: string): string {
  const n = createHash('sha256').update(clusterId).digest().readBigUInt64BE(0);
  return (n === 0n ? 1n : n).toString();
}

const SYNC_KEY = new Uint8Array([0]);

export interface NodeAdapterOptions {
  readonly directory: MemberDirectory;
  /** Bytes of this member's data directory, if known (reported as dbSize). */
  readonly dbSizeBytes?: () => number;
  /** Tells another member (by client URL) about a new peer; the server posts to /flotilla/peer/add. */
  readonly announcePeer?: (
    clientUrl: string,
    entry: DirectoryEntry,
    authorization?: string,
  ) => Promise<void>;
}

function seconds(h: HistogramSummary | undefined): Quantiles | undefined {
  return h && h.count > 0 ? { p50: h.p50 / 1000, p99: h.p99 / 1000, count: h.count } : undefined;
}

export function servedNode(node: FlotillaNode, options: NodeAdapterOptions): ServedNode {
  const { directory } = options;
  const clusterId = wireClusterId(node.clusterId);
  const write = (ctx: WriteContext) => ({
    ...(ctx.clientId !== undefined ? { clientId: ctx.clientId, seq: ctx.seq ?? 0 } : {}),
    ...(ctx.auth ? { auth: ctx.auth } : {}),
  });
  const isMember = (id: number): { member: boolean; learner: boolean } => {
    const c = node.status().confState;
    const learner = c.learners.includes(id) || c.learnersNext.includes(id);
    return { member: learner || c.voters.includes(id) || c.votersOutgoing.includes(id), learner };
  };

  const served: ServedNode = {
    status(): ServedStatus {
      const s = node.status();
      return {
        memberId: s.id,
        clusterId,
        leaderId: s.leader,
        term: s.term,
        role: s.role,
        commitIndex: s.commitIndex,
        appliedIndex: s.appliedIndex,
        revision: s.revision,
        isLearner: s.confState.learners.includes(s.id),
        dbSizeBytes: options.dbSizeBytes?.() ?? 0,
      };
    },
    range: (req, consistency) => node.range(req, { consistency }),
    put: (req, ctx) => node.put(req, write(ctx)),
    deleteRange: (req, ctx) => node.deleteRange(req, write(ctx)),
    txn: (req, ctx) => node.txn(req, write(ctx)),
    compact: (req, ctx) => node.compact(req, write(ctx)),
    async leaseGrant(req, ctx) {
      const res = await node.leaseGrant({ id: req.id, ttl: req.ttlSeconds }, write(ctx));
      return { id: res.id, ttlSeconds: res.ttl, revision: res.header.revision };
    },
    async leaseRevoke(id, ctx) {
      const res = await node.leaseRevoke({ id }, write(ctx));
      return { revision: res.header.revision };
    },
    async leaseKeepAlive(id) {
      const res = await node.leaseKeepAlive(id);
      return { id, ttlSeconds: res.ttl };
    },
    async leaseTimeToLive(id, withKeys): Promise<LeaseTtlResult> {
      try {
        const res = await node.leaseTimeToLive(id, { keys: withKeys });
        return { id, ttlSeconds: res.ttl, grantedTtlSeconds: res.grantedTtl, keys: res.keys };
      } catch (err) {
        // etcd answers an unknown lease with TTL -1 rather than an error.
        if (err instanceof LeaseNotFoundError)
          return { id, ttlSeconds: -1, grantedTtlSeconds: 0, keys: [] };
        throw err;
      }
    },
    leases: async () => node.leaseLeases().leases.map((l) => l.id),
    watch(req: WatchRequest): WatchStream {
      return node.watch(req);
    },
    async members(): Promise<MemberInfo[]> {
      const c = node.status().confState;
      const voters = [...new Set([...c.voters, ...c.votersOutgoing])];
      const learners = [...new Set([...c.learners, ...c.learnersNext])].filter(
        (id) => !voters.includes(id),
      );
      // Raft's configuration says who is a member; the replicated table says the rest. This member's
      // start configuration fills what the table does not have yet (a member that has not published).
      return directory.describe(voters, learners).map((local) => {
        const r = node.members.get(local.id);
        if (r === undefined) return local;
        return {
          ...local,
          name: r.name || local.name,
          peerUrls: r.peerUrls.length > 0 ? r.peerUrls : local.peerUrls,
          clientUrls: r.clientUrls.length > 0 ? r.clientUrls : local.clientUrls,
        };
      });
    },
    async addMember(req: AddMemberRequest): Promise<MemberInfo> {
      const name = req.name ?? req.peerUrls[0]!;
      const id = memberIdOf(name);
      if (isMember(id).member)
        throw new MembershipError(
          `etcdserver: peerURL exists (member ${name}, id ${id.toString(16)}, is already in the cluster)`,
        );
      const clientUrls = req.clientUrls ?? [];
      const entry: DirectoryEntry = { id, name, peerUrls: req.peerUrls, clientUrls };
      directory.set(entry);
      // Raft connections are dialled by the lower id, so every member must know where the new one
      // listens. The conf-change entry carries it to every member (see member-table.ts); telling the
      // others directly first only saves them waiting for the entry, so a member that cannot be told
      // is no failure.
      for (const url of directory.otherClientUrls(node.id))
        await options.announcePeer?.(url, entry, req.authorization).catch(() => undefined);
      const member = { ...entry, isLearner: req.isLearner };
      await node.addMember(member, peerAddress(directory.dialUrl(id, req.peerUrls[0]!)));
      return member;
    },
    async updateMember(id, peerUrls) {
      if (!isMember(id).member) throw new MemberNotFoundError(id);
      await node.updateMember({ kind: 'set', id, peerUrls });
    },
    hashKv: (revision) => node.hashKv(revision),
    async removeMember(id) {
      if (!isMember(id).member) throw new MemberNotFoundError(id);
      await node.removeMember(id);
    },
    async promoteMember(id) {
      const m = isMember(id);
      if (!m.member) throw new MemberNotFoundError(id);
      if (!m.learner)
        throw new MembershipError(
          `etcdserver: can only promote a learner member (member ${id.toString(16)} is already a voter)`,
        );
      await node.promote(id);
    },
    async moveLeader(toId) {
      if (!isMember(toId).member) throw new MemberNotFoundError(toId);
      await node.transferLeadership(toId);
    },
    auth: () => node.auth,
    async authChange(req, ctx) {
      const res = await node.authChange(req, write(ctx));
      return { revision: res.header.revision };
    },
    async register(ctx) {
      const res = await node.register({
        clientId: ctx.clientId,
        ...(ctx.auth ? { auth: ctx.auth } : {}),
      });
      return { revision: res.header.revision };
    },
    async syncAuth() {
      // A linearizable read of one key is the node's read barrier: afterwards this member has applied
      // everything committed before the call, including the latest auth changes.
      await node.range({ key: SYNC_KEY, countOnly: true }, { consistency: 'linearizable' });
    },
    isMember: (id) => isMember(id).member,
    learnPeer(entry: DirectoryEntry): void {
      directory.set(entry);
      const url = entry.peerUrls[0] ? directory.dialUrl(entry.id, entry.peerUrls[0]) : undefined;
      if (url) node.addPeer(entry.id, peerAddress(url));
    },
    metricsText(): string {
      return node.prometheusText((id) => node.members.get(id)?.name || directory.get(id)?.name);
    },
    metrics(): NodeMetricsSnapshot {
      const m = node.status().metrics;
      const state = new Map<number, Quantiles>();
      for (const [id, f] of Object.entries(m.stateLatencyMs)) {
        const q = seconds(f);
        if (q) state.set(Number(id), q);
      }
      const commit = seconds(m.commitLatencyMs);
      return {
        ...(commit ? { commitLatencySeconds: commit } : {}),
        stateLatencySeconds: state,
        applyLagEntries: m.applyLagEntries.local,
        leaderChanges: m.leaderChanges,
        ...(m.rto.lastMs !== undefined ? { lastRtoSeconds: m.rto.lastMs / 1000 } : {}),
      };
    },
  };
  return served;
}
