// /v3/cluster/member/* and /v3/maintenance/*. Member messages use etcd's
// JSON names (`ID`, `peerURLs`, `clientURLs`, `isLearner`); like etcd, cluster
// responses carry no revision in their header.
import { i64, type Json } from '../codec/encode-kv.js';
import { GatewayError } from '../codec/gateway-error.js';
import {
  readBool,
  readInt64,
  readString,
  readStringArray,
  readUint,
} from '../codec/json-reader.js';
import type { HandlerContext } from './context.js';
import { checkPeerAnnouncement } from '../auth/peer-announce.js';
import type { MemberInfo } from './served-node.js';

/** Flotilla's own release (the server package's version). */
export const FLOTILLA_VERSION = '0.1.0';
/** Reported as `version` by /v3/maintenance/status. */
export const SERVER_VERSION = `flotilla-${FLOTILLA_VERSION}`;
/**
 * GET /version: etcd's two fields name the etcd API level Flotilla implements (etcd 3.4's), so
 * tools that check an etcd's version accept it; `flotilla` says what actually answers.
 */
export const VERSION_BODY = {
  etcdserver: '3.4.0',
  etcdcluster: '3.4.0',
  flotilla: FLOTILLA_VERSION,
} as const;

function encodeMember(m: MemberInfo): Json {
  return {
    ID: i64(m.id),
    name: m.name || undefined,
    peerURLs: m.peerUrls.length > 0 ? m.peerUrls : undefined,
    clientURLs: m.clientUrls.length > 0 ? m.clientUrls : undefined,
    isLearner: m.isLearner || undefined,
  };
}

async function memberList(ctx: HandlerContext): Promise<Json[]> {
  return (await ctx.node.members()).map(encodeMember);
}

function memberId(ctx: HandlerContext, path: string): number {
  const id = readUint(ctx.body, 'ID', path);
  if (!id)
    throw GatewayError.invalidArgument(
      `${path}.ID must name a member (a non-zero id from member list)`,
    );
  return id;
}

export async function handleMemberList(ctx: HandlerContext): Promise<Json> {
  return { header: ctx.header(), members: await memberList(ctx) };
}

function readUrls(ctx: HandlerContext, field: string, path: string, required: boolean): string[] {
  const urls = readStringArray(ctx.body, field, path) ?? [];
  if (required && urls.length === 0)
    throw GatewayError.invalidArgument(
      `${path}.${field} must list the member's peer URL (e.g. ["http://127.0.0.1:2480"])`,
    );
  for (const url of urls) {
    if (!URL.canParse(url))
      throw GatewayError.invalidArgument(`${path}.${field}: ${JSON.stringify(url)} is not a URL`);
  }
  return urls;
}

export async function handleMemberAdd(ctx: HandlerContext): Promise<Json> {
  const peerUrls = readUrls(ctx, 'peerURLs', 'member.add', true);
  // Flotilla extensions (etcd's MemberAddRequest has neither): the name and client URLs to record.
  const clientUrls = readUrls(ctx, 'clientURLs', 'member.add', false);
  const isLearner = readBool(ctx.body, 'isLearner', 'member.add') ?? false;
  const name = readString(ctx.body, 'name', 'member.add');
  const member = await ctx.node.addMember({
    peerUrls,
    isLearner,
    ...(name ? { name } : {}),
    ...(clientUrls.length > 0 ? { clientUrls } : {}),
    ...(ctx.authorization ? { authorization: ctx.authorization } : {}),
  });
  return { header: ctx.header(), member: encodeMember(member), members: await memberList(ctx) };
}

export async function handleMemberRemove(ctx: HandlerContext): Promise<Json> {
  await ctx.node.removeMember(memberId(ctx, 'member.remove'));
  return { header: ctx.header(), members: await memberList(ctx) };
}

/** etcd's MemberUpdate: new peer URLs for a member, through the log; every member then dials it there. */
export async function handleMemberUpdate(ctx: HandlerContext): Promise<Json> {
  const id = memberId(ctx, 'member.update');
  await ctx.node.updateMember(id, readUrls(ctx, 'peerURLs', 'member.update', true));
  return { header: ctx.header(), members: await memberList(ctx) };
}

/** etcd's HashKV (gRPC; etcd's gateway has no path for it): this member's hash of its MVCC history up to `revision` (0: the current one). */
export async function handleHashKv(ctx: HandlerContext): Promise<Json> {
  const revision = readInt64(ctx.body, 'revision', 'maintenance.hashkv') ?? 0;
  if (revision < 0)
    throw GatewayError.invalidArgument('maintenance.hashkv.revision must not be negative');
  const h = await ctx.node.hashKv(revision);
  return { header: ctx.header(h.revision), hash: h.hash, compact_revision: i64(h.compactRevision) };
}

export async function handleMemberPromote(ctx: HandlerContext): Promise<Json> {
  await ctx.node.promoteMember(memberId(ctx, 'member.promote'));
  return { header: ctx.header(), members: await memberList(ctx) };
}

export async function handleStatus(ctx: HandlerContext): Promise<Json> {
  const s = ctx.node.status();
  return {
    header: ctx.header(s.revision),
    version: SERVER_VERSION,
    dbSize: i64(s.dbSizeBytes),
    leader: i64(s.leaderId),
    raftIndex: i64(s.commitIndex),
    raftTerm: i64(s.term),
    raftAppliedIndex: i64(s.appliedIndex),
    dbSizeInUse: i64(s.dbSizeBytes),
    isLearner: s.isLearner || undefined,
  };
}

export async function handleMoveLeader(ctx: HandlerContext): Promise<Json> {
  const target = readUint(ctx.body, 'targetID', 'maintenance.transfer-leadership');
  if (!target)
    throw GatewayError.invalidArgument(
      'maintenance.transfer-leadership.targetID must name a voting member',
    );
  await ctx.node.moveLeader(target);
  return { header: ctx.header(ctx.node.status().revision) };
}

/**
 * POST /flotilla/peer/add (Flotilla's own): a member that handled member add
 * tells this one where the new member listens. Not part of etcd's API.
 */
export async function handlePeerAdd(ctx: HandlerContext): Promise<Json> {
  const id = memberId(ctx, 'peer.add');
  const peerUrls = readStringArray(ctx.body, 'peerURLs', 'peer.add') ?? [];
  if (peerUrls.length === 0 || !peerUrls.every((u) => URL.canParse(u)))
    throw GatewayError.invalidArgument("peer.add.peerURLs must list the new member's peer URL");
  const clientUrls = readStringArray(ctx.body, 'clientURLs', 'peer.add') ?? [];
  checkPeerAnnouncement(ctx.node, id, undefined);
  ctx.node.learnPeer({
    id,
    name: readString(ctx.body, 'name', 'peer.add') ?? '',
    peerUrls,
    clientUrls,
  });
  return { header: ctx.header() };
}
