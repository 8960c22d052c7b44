// member list | add | update | remove | promote, endpoint status | health | hashkv, move-leader:
// plain etcd-JSON calls (they are not part of the KV interface).
import type { Command } from 'commander';
import type { CommandContext } from './command.js';
import { CliError, UsageError } from './errors.js';
import { etcdctlEndpointsJson, etcdctlJson, HASH_KV, MEMBER_LIST, STATUS } from './etcdctl-json.js';
import { writeOutOf } from './globals.js';
import { hexId, parseHexId } from './ids.js';
import type { Runner } from './runner.js';
import { humanBytes, renderTable } from './table.js';

type Opts = Record<string, unknown>;

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

/** etcdctl's columns: a member without a name has not started (joined) yet. */
function memberRows(members: readonly WireMember[]): string[][] {
  return members.map((m) => [
    hexId(Number(m.ID ?? 0)),
    m.name ? 'started' : 'unstarted',
    m.name ?? '',
    (m.peerURLs ?? []).join(','),
    (m.clientURLs ?? []).join(','),
    String(m.isLearner === true),
  ]);
}

export function addClusterCommands(program: Command, runner: Runner): void {
  addMemberCommands(program, runner);
  addEndpointCommands(program, runner);
  program
    .command('move-leader')
    .description('hands leadership to the member with the given id')
    .argument('<id>', 'member id (hex, from member list)')
    .action((idText: string, _opts: Opts, cmd: Command) =>
      runner.bounded(
        cmd,
        'move-leader',
        (ctx) => moveLeader(ctx, parseHexId(idText, 'member id')),
        true,
      ),
    );
}

function addMemberCommands(program: Command, runner: Runner): void {
  const member = program
    .command('member')
    .description('membership commands: list, add, update, remove, promote');

  member
    .command('list')
    .description('lists the members (-w simple, table or json)')
    .action((_opts: Opts, cmd: Command) =>
      runner.bounded(cmd, 'member list', async (ctx) => {
        const format = writeOutOf(ctx.globals, 'member list', ['simple', 'table', 'json']);
        const answer = await ctx.api.post('/v3/cluster/member/list', {});
        if (format === 'json') {
          ctx.out(etcdctlJson(answer, MEMBER_LIST));
          return;
        }
        const rows = memberRows((answer['members'] as WireMember[] | undefined) ?? []);
        if (format === 'table')
          ctx.out(
            renderTable(['ID', 'STATUS', 'NAME', 'PEER ADDRS', 'CLIENT ADDRS', 'IS LEARNER'], rows),
          );
        else for (const r of rows) ctx.out(r.join(', '));
      }),
    );

  member
    .command('add')
    .description('adds a member (prints the flotilla start line for it)')
    .argument('<name>')
    .requiredOption(
      '--peer-urls <urls>',
      'where the new member listens for peers, e.g. http://127.0.0.1:2480',
    )
    .option('--learner', 'add it as a learner (promote it once it has caught up)')
    .option(
      '--client-urls <urls>',
      'its client URLs, recorded with it (Flotilla; it also publishes them itself when it starts)',
    )
    .action((name: string, opts: Opts, cmd: Command) =>
      runner.bounded(cmd, 'member add', (ctx) => addMember(ctx, name, opts), true),
    );

  member
    .command('update')
    .description("changes a member's peer URLs (through Raft: every member then dials it there)")
    .argument('<id>', 'member id (hex, from member list)')
    .requiredOption('--peer-urls <urls>', 'its new peer URLs, e.g. http://10.0.0.4:2380')
    .action((idText: string, opts: Opts, cmd: Command) =>
      runner.bounded(
        cmd,
        'member update',
        async (ctx) => {
          const id = parseHexId(idText, 'member id');
          const peerURLs = urlList(opts['peerUrls']);
          if (peerURLs.length === 0)
            throw new UsageError('member update: --peer-urls must name at least one URL');
          const res = await ctx.api.post('/v3/cluster/member/update', { ID: String(id), peerURLs });
          ctx.out(`Member ${hexId(id)} updated in cluster ${clusterOf(res)}`);
        },
        true,
      ),
    );

  for (const sub of ['remove', 'promote'] as const) {
    member
      .command(sub)
      .description(sub === 'remove' ? 'removes a member' : 'promotes a learner to a voter')
      .argument('<id>', 'member id (hex, from member list)')
      .action((idText: string, _opts: Opts, cmd: Command) =>
        runner.bounded(
          cmd,
          `member ${sub}`,
          async (ctx) => {
            const id = parseHexId(idText, 'member id');
            const res = await ctx.api.post(`/v3/cluster/member/${sub}`, { ID: String(id) });
            const cluster = clusterOf(res);
            ctx.out(
              sub === 'remove'
                ? `Member ${hexId(id)} removed from cluster ${cluster}`
                : `Member ${hexId(id)} promoted in cluster ${cluster}`,
            );
          },
          true,
        ),
      );
  }
}

function urlList(value: unknown): string[] {
  return String(value ?? '')
    .split(',')
    .filter((u) => u !== '');
}

/** The cluster id of a response header, in hex as etcdctl prints it. */
function clusterOf(res: Record<string, unknown>): string {
  const header = (res['header'] ?? {}) as Record<string, string>;
  return BigInt(header['cluster_id'] ?? '0').toString(16);
}

async function addMember(ctx: CommandContext, name: string, opts: Opts): Promise<void> {
  const peerUrls = urlList(opts['peerUrls']);
  const clientUrls = urlList(opts['clientUrls']);
  if (peerUrls.length === 0)
    throw new UsageError(
      'member add: --peer-urls is required (e.g. --peer-urls=http://127.0.0.1:2480)',
    );
  const learner = opts['learner'] === true;
  const res = await ctx.api.post('/v3/cluster/member/add', {
    name,
    peerURLs: peerUrls,
    isLearner: learner,
    ...(clientUrls.length > 0 ? { clientURLs: clientUrls } : {}),
  });
  const member = (res['member'] ?? {}) as WireMember;
  ctx.out(
    `Member ${hexId(Number(member.ID ?? 0))} added to cluster ${clusterOf(res)}${learner ? ' as a learner' : ''}`,
  );
  const members = ((res['members'] as WireMember[] | undefined) ?? []).filter(
    (m) => (m.peerURLs ?? []).length > 0,
  );
  const initial = members
    .map(
      (m) =>
        `${m.name || (m.ID === member.ID ? name : hexId(Number(m.ID)))}=${(m.peerURLs ?? [])[0]}`,
    )
    .join(',');
  const report = await ctx.api
    .getJson(ctx.globals.endpoints[0]!, '/flotilla/status')
    .catch(() => ({}) as Record<string, unknown>);
  const founders = Array.isArray(report['founders'])
    ? (report['founders'] as string[]).join(',')
    : '<names the cluster was started with>';
  ctx.out('');
  // A cluster with TLS takes the new member only with the same TLS flags (its certificate naming it).
  const peerTls = peerUrls[0]!.startsWith('https:')
    ? ' --peer-cert-file <file> --peer-key-file <file> --peer-trusted-ca-file <file> --peer-client-cert-auth'
    : '';
  const clientTls = ctx.globals.endpoints[0]!.startsWith('https:')
    ? ' --cert-file <file> --key-file <file> --trusted-ca-file <file> --client-cert-auth'
    : '';
  ctx.out(
    `Start it with: flotilla start --name ${name} --listen-peer ${peerUrls[0]} --initial-cluster "${initial}" --initial-cluster-state existing --founders ${founders} --data-dir <dir> --listen-client <url>${peerTls}${clientTls}`,
  );
}

/** Where endpoint status/health ask: the given endpoints, or (--cluster) every member, by name when it has no client URL. */
interface Target {
  readonly endpoint: string;
  /** How the results name it: as the user wrote it in --endpoints, or the member's client URL. */
  readonly label: string;
  /** Why the member cannot be asked at all (no client URL known). */
  readonly missing?: string;
  /** With --cluster: which member this is, for naming it when it does not answer. */
  readonly member?: string;
}

/** "member NAME (ID)" */
function memberLabel(m: WireMember): string {
  return `member ${m.name || '(unstarted)'} (${hexId(Number(m.ID ?? 0))})`;
}

/** What a target's failure says: the member (with --cluster) and the URL asked, then why. */
function failureOf(t: Target, err: Error): string {
  return t.member ? `${t.member} at ${t.endpoint}: ${err.message}` : err.message;
}

async function targets(ctx: CommandContext, cluster: boolean): Promise<Target[]> {
  if (!cluster)
    return ctx.globals.endpoints.map((endpoint, i) => ({
      endpoint,
      label: ctx.globals.endpointsAsGiven?.[i] ?? endpoint,
    }));
  return (await listMembers(ctx)).flatMap((m): Target[] => {
    const urls = m.clientURLs ?? [];
    if (urls.length > 0)
      return urls.map((endpoint) => ({ endpoint, label: endpoint, member: memberLabel(m) }));
    const who = memberLabel(m);
    return [
      {
        endpoint: who,
        label: who,
        missing: `${who}: no client URL known; a member publishes its own once it has run with a leader (until then --initial-cluster-clients NAME=URL,... fills it in), or pass its URL in --endpoints without --cluster`,
      },
    ];
  });
}

/** Each endpoint gets the dial timeout, and all of them together fit in what is left of --command-timeout. */
function perEndpointMs(ctx: CommandContext): number {
  return Math.max(1, Math.min(ctx.globals.dialTimeoutMs, ctx.deadline.remainingMs() - 250));
}

function addEndpointCommands(program: Command, runner: Runner): void {
  const endpoint = program
    .command('endpoint')
    .description('endpoint commands: status, health, hashkv');
  endpoint
    .command('status')
    .description('prints the status of the endpoints (-w simple, table or json)')
    .option('--cluster', "every member's client URL, from the member list")
    .action((opts: Opts, cmd: Command) =>
      runner.bounded(cmd, 'endpoint status', (ctx) =>
        endpointStatus(ctx, opts['cluster'] === true),
      ),
    );
  endpoint
    .command('hashkv')
    .description("prints each endpoint's hash of its KV history (equal on members that agree)")
    .option('--cluster', "every member's client URL, from the member list")
    .option('--rev <revision>', 'hash the history up to this revision (default: the current one)')
    .action((opts: Opts, cmd: Command) =>
      runner.bounded(cmd, 'endpoint hashkv', (ctx) =>
        endpointHashKv(ctx, opts['cluster'] === true, Number(opts['rev'] ?? 0)),
      ),
    );
  endpoint
    .command('health')
    .description('checks that the endpoints have a leader')
    .option('--cluster', "every member's client URL, from the member list")
    .action((opts: Opts, cmd: Command) =>
      runner.bounded(cmd, 'endpoint health', (ctx) =>
        endpointHealth(ctx, opts['cluster'] === true),
      ),
    );
}

async function endpointHealth(ctx: CommandContext, cluster: boolean): Promise<void> {
  const format = writeOutOf(ctx.globals, 'endpoint health', ['simple', 'table', 'json']);
  const list = await targets(ctx, cluster);
  const timeoutMs = perEndpointMs(ctx);
  const lines = await Promise.all(
    list.map(async (t) => {
      if (t.missing) return { endpoint: t.label, ok: false, took: '', error: t.missing };
      const started = Date.now();
      const res = await ctx.api
        .getJson(t.endpoint, '/health', timeoutMs)
        .catch((err: Error) => ({ health: 'false', reason: failureOf(t, err) }));
      const ok = res['health'] === 'true';
      const took = `${Date.now() - started}ms`;
      return { endpoint: t.label, ok, took, error: String(res['reason'] ?? 'no leader') };
    }),
  );
  if (format === 'json')
    // etcdctl's epHealth: endpoint, health, took, and error only when unhealthy.
    ctx.out(
      JSON.stringify(
        lines.map((l) => ({
          endpoint: l.endpoint,
          health: l.ok,
          took: l.took,
          ...(l.ok ? {} : { error: l.error }),
        })),
      ),
    );
  else if (format === 'table')
    ctx.out(
      renderTable(
        ['ENDPOINT', 'HEALTH', 'TOOK', 'ERROR'],
        lines.map((l) => [l.endpoint, String(l.ok), l.took, l.ok ? '' : l.error]),
      ),
    );
  else
    for (const l of lines)
      ctx.out(
        `${l.endpoint} is ${l.ok ? 'healthy' : 'unhealthy'}: ${l.ok ? `took ${l.took}` : l.error}`,
      );
  const unhealthy = lines.filter((l) => !l.ok).length;
  if (unhealthy > 0) throw new CliError(`${unhealthy} of ${list.length} endpoints are unhealthy`);
}

/** POSTs `body` to `route` on every target at once; each answer or why there is none. */
async function askEach(
  ctx: CommandContext,
  cluster: boolean,
  route: string,
  body: Record<string, unknown>,
): Promise<{ endpoint: string; answer?: Record<string, unknown>; error?: string }[]> {
  const list = await targets(ctx, cluster);
  const timeoutMs = perEndpointMs(ctx);
  return Promise.all(
    list.map(async (t) => {
      if (t.missing) return { endpoint: t.label, error: t.missing };
      try {
        return {
          endpoint: t.label,
          answer: await ctx.api.postTo(t.endpoint, route, body, timeoutMs),
        };
      } catch (err) {
        return { endpoint: t.label, error: failureOf(t, err as Error) };
      }
    }),
  );
}

async function endpointStatus(ctx: CommandContext, cluster: boolean): Promise<void> {
  const format = writeOutOf(ctx.globals, 'endpoint status', ['simple', 'table', 'json']);
  const answers = (await askEach(ctx, cluster, '/v3/maintenance/status', {})).map((a) => ({
    endpoint: a.endpoint,
    status: a.answer,
    error: a.error,
  }));
  const rows = answers.map((a) => {
    if (!a.status) return [a.endpoint, '', '', '', '', '', '', '', '', a.error ?? ''];
    const s = a.status;
    const id = Number(((s['header'] ?? {}) as Record<string, string>)['member_id'] ?? 0);
    const leader = Number(s['leader'] ?? 0);
    return [
      a.endpoint,
      hexId(id),
      String(s['version'] ?? ''),
      humanBytes(Number(s['dbSize'] ?? 0)),
      String(leader === id && id !== 0),
      String(s['isLearner'] === true),
      String(Number(s['raftTerm'] ?? 0)),
      String(Number(s['raftIndex'] ?? 0)),
      String(Number(s['raftAppliedIndex'] ?? 0)),
      leader === 0 ? 'no leader' : '',
    ];
  });
  if (format === 'json') {
    // As etcdctl: the endpoints that answered (the others are named on stderr below).
    const answered = answers.flatMap((a) =>
      a.status ? [{ endpoint: a.endpoint, answer: a.status }] : [],
    );
    ctx.out(etcdctlEndpointsJson(answered, 'Status', STATUS));
  } else if (format === 'simple') for (const r of rows) ctx.out(r.join(', '));
  else
    ctx.out(
      renderTable(
        [
          'ENDPOINT',
          'ID',
          'VERSION',
          'DB SIZE',
          'IS LEADER',
          'IS LEARNER',
          'RAFT TERM',
          'RAFT INDEX',
          'RAFT APPLIED INDEX',
          'ERRORS',
        ],
        rows,
      ),
    );
  const failed = answers.filter((a) => !a.status);
  // The table names them too (ERRORS); the error line is for scripts that read only stderr and the exit code.
  if (failed.length > 0)
    throw new CliError(
      `${failed.length} of ${answers.length} endpoints did not answer: ${failed.map((a) => a.error).join('; ')}`,
    );
}

/** etcdctl's endpoint hashkv: `<endpoint>, <hash>` per endpoint (-w table, json too). */
async function endpointHashKv(ctx: CommandContext, cluster: boolean, rev: number): Promise<void> {
  const format = writeOutOf(ctx.globals, 'endpoint hashkv', ['simple', 'table', 'json']);
  if (!Number.isSafeInteger(rev) || rev < 0)
    throw new UsageError('endpoint hashkv: --rev must be a non-negative integer');
  const answers = await askEach(ctx, cluster, '/v3/maintenance/hashkv', { revision: String(rev) });
  const ok = answers.flatMap((a) => (a.answer ? [{ Endpoint: a.endpoint, HashKV: a.answer }] : []));
  if (format === 'json')
    ctx.out(
      etcdctlEndpointsJson(
        ok.map((a) => ({ endpoint: a.Endpoint, answer: a.HashKV })),
        'HashKV',
        HASH_KV,
      ),
    );
  else {
    const rows = ok.map((a) => [a.Endpoint, String(a.HashKV['hash'] ?? 0)]);
    if (format === 'table') ctx.out(renderTable(['ENDPOINT', 'HASH'], rows));
    else for (const r of rows) ctx.out(r.join(', '));
  }
  const failed = answers.filter((a) => !a.answer);
  if (failed.length > 0)
    throw new CliError(
      `${failed.length} of ${answers.length} endpoints did not answer: ${failed.map((a) => a.error).join('; ')}`,
    );
}

async function moveLeader(ctx: CommandContext, target: number): Promise<void> {
  const before = await ctx.api.post('/v3/maintenance/status', {});
  const from = Number(before['leader'] ?? 0);
  if (from === target) {
    ctx.out(`Member ${hexId(target)} is already the leader`);
    return;
  }
  await ctx.api.post('/v3/maintenance/transfer-leadership', { targetID: String(target) });
  ctx.out(`Leadership transferred from ${hexId(from)} to ${hexId(target)}`);
}
