// member list | add | remove | promote, endpoint status | health, move-leader.
import { noExtra, parse, positional, type CommandContext } from './command.js';
import { CliError, UsageError } from './errors.js';
import { hexId, parseHexId } from './ids.js';
import { renderTable } from './table.js';

interface WireMember {
  ID?: string;
  name?: string;
  peerURLs?: string[];
  clientURLs?: string[];
  isLearner?: boolean;
}

async function listMembers(ctx: CommandContext): Promise<WireMember[]> {
  const res = await ctx.api.post('/v3/cluster/member/list', {});
  return (res['members'] as WireMember[] | undefined) ?? [];
}

function memberRows(members: readonly WireMember[]): string[][] {
  return members.map((m) => [
    hexId(Number(m.ID ?? 0)),
    m.name ?? '',
    (m.peerURLs ?? []).join(','),
    (m.clientURLs ?? []).join(','),
    String(m.isLearner === true),
  ]);
}

export async function cmdMember(ctx: CommandContext, args: readonly string[]): Promise<void> {
  const [sub, ...rest] = args;
  switch (sub) {
    case 'list': {
      const parsed = parse('member list', rest, { 'write-out': { type: 'string', short: 'w' } });
      noExtra(parsed, 0, 'member list');
      const rows = memberRows(await listMembers(ctx));
      const format = parsed.values['write-out'] ?? 'simple';
      if (format === 'table') ctx.out(renderTable(['ID', 'NAME', 'PEER ADDRS', 'CLIENT ADDRS', 'IS LEARNER'], rows));
      else if (format === 'simple') for (const r of rows) ctx.out(r.join(', '));
      else throw new UsageError('member list: --write-out must be simple or table');
      return;
    }
    case 'add': {
      const parsed = parse('member add', rest, { 'peer-urls': { type: 'string' }, learner: { type: 'boolean' } });
      const name = positional(parsed, 0, 'member add', 'the new member\'s name');
      noExtra(parsed, 1, 'member add');
      const peerUrls = String(parsed.values['peer-urls'] ?? '').split(',').filter((u) => u !== '');
      if (peerUrls.length === 0) throw new UsageError('member add: --peer-urls is required (e.g. --peer-urls=http://127.0.0.1:2480)');
      const res = await ctx.api.post('/v3/cluster/member/add', { name, peerURLs: peerUrls, isLearner: parsed.values['learner'] === true });
      const member = (res['member'] ?? {}) as WireMember;
      const header = (res['header'] ?? {}) as Record<string, string>;
      ctx.out(`Member ${hexId(Number(member.ID ?? 0))} added to cluster ${BigInt(header['cluster_id'] ?? '0').toString(16)}${parsed.values['learner'] ? ' as a learner' : ''}`);
      const members = ((res['members'] as WireMember[] | undefined) ?? []).filter((m) => (m.peerURLs ?? []).length > 0);
      const initial = members.map((m) => `${m.name || (m.ID === member.ID ? name : hexId(Number(m.ID)))}=${(m.peerURLs ?? [])[0]}`).join(',');
      const report = await ctx.api.getJson(ctx.api.options.endpoints[0]!, '/flotilla/status').catch(() => ({}) as Record<string, unknown>);
      const founders = Array.isArray(report['founders']) ? (report['founders'] as string[]).join(',') : '<names the cluster was started with>';
      ctx.out('');
      ctx.out(`Start it with: flotilla start --name ${name} --listen-peer ${peerUrls[0]} --initial-cluster "${initial}" --initial-cluster-state existing --founders ${founders} --data-dir <dir> --listen-client <url>`);
      return;
    }
    case 'remove':
    case 'promote': {
      const parsed = parse(`member ${sub}`, rest, {});
      const id = parseHexId(positional(parsed, 0, `member ${sub}`, 'the member id (hex, from member list)'), 'member id');
      noExtra(parsed, 1, `member ${sub}`);
      const res = await ctx.api.post(`/v3/cluster/member/${sub}`, { ID: String(id) });
      const header = (res['header'] ?? {}) as Record<string, string>;
      const cluster = BigInt(header['cluster_id'] ?? '0').toString(16);
      ctx.out(sub === 'remove' ? `Member ${hexId(id)} removed from cluster ${cluster}` : `Member ${hexId(id)} promoted in cluster ${cluster}`);
      return;
    }
    default:
      throw new UsageError(`member: unknown subcommand ${JSON.stringify(sub ?? '')}; use list, add, remove or promote`);
  }
}

async function clusterEndpoints(ctx: CommandContext, all: boolean): Promise<string[]> {
  if (!all) return [...ctx.api.options.endpoints];
  const urls = (await listMembers(ctx)).flatMap((m) => m.clientURLs ?? []);
  if (urls.length === 0) throw new CliError('endpoint --cluster: the member list names no client URLs');
  return urls;
}

export async function cmdEndpoint(ctx: CommandContext, args: readonly string[]): Promise<void> {
  const [sub, ...rest] = args;
  const parsed = parse(`endpoint ${sub ?? ''}`, rest, { cluster: { type: 'boolean' }, 'write-out': { type: 'string', short: 'w' } });
  noExtra(parsed, 0, `endpoint ${sub ?? ''}`);
  const endpoints = await clusterEndpoints(ctx, parsed.values['cluster'] === true);
  if (sub === 'health') {
    let healthy = 0;
    for (const ep of endpoints) {
      const started = Date.now();
      const res = await ctx.api.getJson(ep, '/health').catch((err: Error) => ({ health: 'false', reason: err.message }));
      const ok = res['health'] === 'true';
      if (ok) healthy++;
      ctx.out(`${ep} is ${ok ? 'healthy' : 'unhealthy'}: ${ok ? `took ${Date.now() - started}ms` : String(res['reason'] ?? 'no leader')}`);
    }
    if (healthy < endpoints.length) throw new CliError(`${endpoints.length - healthy} of ${endpoints.length} endpoints are unhealthy`);
    return;
  }
  if (sub !== 'status') throw new UsageError(`endpoint: unknown subcommand ${JSON.stringify(sub ?? '')}; use status or health`);
  const rows: string[][] = [];
  const failures: string[] = [];
  const results: unknown[] = [];
  for (const ep of endpoints) {
    try {
      const s = await ctx.api.postTo(ep, '/v3/maintenance/status', {});
      results.push({ endpoint: ep, ...s });
      const header = (s['header'] ?? {}) as Record<string, string>;
      const id = Number(header['member_id'] ?? 0);
      rows.push([ep, hexId(id), String(s['version'] ?? ''), formatBytes(Number(s['dbSize'] ?? 0)), String(Number(s['leader'] ?? 0) === id && id !== 0),
        String(s['isLearner'] === true), String(Number(s['raftTerm'] ?? 0)), String(Number(s['raftIndex'] ?? 0)), String(Number(s['raftAppliedIndex'] ?? 0)),
        Number(s['leader'] ?? 0) === 0 ? 'no leader' : '']);
    } catch (err) {
      failures.push(`${ep}: ${(err as Error).message}`);
      rows.push([ep, '', '', '', '', '', '', '', '', (err as Error).message]);
    }
  }
  if (parsed.values['write-out'] === 'json') ctx.out(JSON.stringify(results));
  else ctx.out(renderTable(['ENDPOINT', 'ID', 'VERSION', 'DB SIZE', 'IS LEADER', 'IS LEARNER', 'RAFT TERM', 'RAFT INDEX', 'RAFT APPLIED INDEX', 'ERRORS'], rows));
  if (failures.length === endpoints.length) throw new CliError(`no endpoint answered: ${failures.join('; ')}`);
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(0)} kB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

export async function cmdMoveLeader(ctx: CommandContext, args: readonly string[]): Promise<void> {
  const parsed = parse('move-leader', args, {});
  const target = parseHexId(positional(parsed, 0, 'move-leader', 'the target member id (hex, from member list)'), 'member id');
  noExtra(parsed, 1, 'move-leader');
  const before = await ctx.api.post('/v3/maintenance/status', {});
  const from = Number(before['leader'] ?? 0);
  if (from === target) {
    ctx.out(`Member ${hexId(target)} is already the leader`);
    return;
  }
  await ctx.api.post('/v3/maintenance/transfer-leadership', { targetID: String(target) });
  ctx.out(`Leadership transferred from ${hexId(from)} to ${hexId(target)}`);
}
