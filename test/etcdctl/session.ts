// The scripted etcdctl session run against both a Flotilla and an etcd
// cluster, and the normalisation that makes their outputs comparable: member
// ids, member names, URLs and ports, lease ids, timings, sizes, raft terms
// and indexes are replaced by placeholders. Key revisions are kept: both
// clusters start empty, so the same writes give the same revisions.
import path from 'node:path';
import { etcdctl, watchUntil, type EtcdctlResult } from './run-etcdctl.js';

export interface Step {
  readonly name: string;
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

interface Context {
  readonly endpoints: readonly string[];
  /** Member ids (hex, as etcdctl prints them) and names, replaced by placeholders. */
  readonly replacements: [string, string][];
}

function normalise(text: string, ctx: Context): string {
  let out = text;
  for (const [from, to] of ctx.replacements) out = out.split(from).join(to);
  return out
    .replace(/127\.0\.0\.1:\d+/g, '<host:port>')
    .replace(/\b[0-9a-f]{16}\b/g, '<lease>')
    .replace(/took = [0-9.]+[µnm]?s/g, 'took = <t>')
    .replace(/remaining\(\d+s\)/g, 'remaining(<s>)')
    .replace(/TTL\((\d+)\)/g, (_m, s: string) => (Number(s) >= 55 ? 'TTL(<~60>)' : `TTL(${s})`));
}

/** `endpoint status` (simple format): keep the endpoint, leader and learner columns; the rest differs by design. */
function statusLines(text: string): string {
  return text
    .trim()
    .split('\n')
    .map((line) => {
      const cols = line.split(', ');
      return `${cols[0]}, <id>, <version>, <db size>, leader=${cols[4]}, learner=${cols[5]}, <term>, <index>, <applied>, errors=${cols[9] ?? ''}`;
    })
    .sort()
    .join('\n');
}

const sortedLines = (s: string): string => s.trim().split('\n').sort().join('\n');

/** `endpoint hashkv` lines with the hash itself replaced (etcd and Flotilla hash differently), and whether all agree. */
function sameHashes(s: string): string {
  const rows = s.trim().split('\n');
  const hashes = new Set(rows.map((l) => l.split(', ')[1]));
  const shaped = rows.map((l) => l.replace(/, \d+$/, ', <hash>'));
  return `${shaped.join('\n')}\nall equal: ${hashes.size === 1}`;
}

export async function runSession(
  endpoints: readonly string[],
  scratchDir: string,
): Promise<Step[]> {
  const steps: Step[] = [];
  let ctx: Context = { endpoints, replacements: [] };
  const record = (
    name: string,
    r: EtcdctlResult,
    shape: (s: string) => string = (s) => s,
  ): EtcdctlResult => {
    steps.push({
      name,
      code: r.code,
      stdout: shape(normalise(r.stdout, ctx)),
      stderr: normalise(r.stderr, ctx),
    });
    return r;
  };
  const run = async (
    name: string,
    args: string[],
    input = '',
    shape?: (s: string) => string,
    on: readonly string[] = endpoints,
  ): Promise<EtcdctlResult> => record(name, await etcdctl(on, args, input), shape);
  const one = [endpoints[0]!];

  // Members first: their ids and names become placeholders for every later step.
  const members = await etcdctl(one, ['member', 'list']);
  const rows = members.stdout
    .trim()
    .split('\n')
    .map((l) => l.split(', '));
  const byName = [...rows].sort((a, b) => a[2]!.localeCompare(b[2]!));
  ctx = {
    endpoints,
    replacements: byName.flatMap((r, i): [string, string][] => [
      [r[0]!, `<member-${i + 1}>`],
      [r[2]!, `<name-${i + 1}>`],
    ]),
  };
  record('member list', members, (s) => s.trim().split('\n').sort().join('\n'));

  await run('put', ['put', 'k1', 'v1']);
  await run('put k2', ['put', 'k2', 'v2']);
  for (const [k, v] of [
    ['p/a', '1'],
    ['p/b', '2'],
    ['p/c', '3'],
  ] as const)
    await run(`put ${k}`, ['put', k, v]);
  await run('get', ['get', 'k1']);
  await run('get missing', ['get', 'nope']);
  await run('get --prefix', ['get', 'p/', '--prefix']);
  await run('get --prefix --keys-only --limit', [
    'get',
    'p/',
    '--prefix',
    '--keys-only',
    '--limit',
    '2',
  ]);
  await run(
    'get --from-key --count-only -w fields',
    ['get', 'p/b', '--from-key', '--count-only', '-w', 'fields'],
    '',
    (s) => s.replace(/"(ClusterID|MemberID|RaftTerm)" : \d+/g, '"$1" : <n>'),
  );
  await run('put --prev-kv', ['put', 'k1', 'v1b', '--prev-kv']);
  await run('get --rev', ['get', 'k1', '--rev', '2']);
  await run('get -w json', ['get', 'k1', '-w', 'json'], '', (s) =>
    s.replace(/"(cluster_id|member_id|raft_term)":\d+/g, '"$1":<n>'),
  );
  await run('del --prefix --prev-kv', ['del', 'p/', '--prefix', '--prev-kv']);
  await run('del missing', ['del', 'nope']);
  const txn = 'value("k1") = "v1b"\nversion("k2") > "0"\n\nput k3 v3\nget k1\n\nput k3 no\n\n';
  await run('txn -i (success)', ['txn', '-i'], txn);
  await run(
    'txn -i (failure)',
    ['txn', '-i'],
    'mod("k1") < "2"\n\nput k4 yes\n\ndel k3\nget k3\n\n',
  );

  // Watch: history from a revision with previous values, bounded by the lines expected.
  const base = Number(
    JSON.parse((await etcdctl(one, ['get', 'k1', '-w', 'json'])).stdout).header.revision,
  );
  await run('put w/x 1', ['put', 'w/x', '1']);
  await run('put w/x 2', ['put', 'w/x', '2']);
  await run('del w/x', ['del', 'w/x']);
  record(
    'watch --rev --prefix --prev-kv',
    await watchUntil(one, ['--rev', String(base + 1), '--prefix', 'w/', '--prev-kv'], 10),
  );

  // Leases.
  const grant = await run('lease grant', ['lease', 'grant', '60']);
  const lease = /lease ([0-9a-f]{16}) granted/.exec(grant.stdout)?.[1] ?? 'missing';
  await run('put --lease', ['put', 'lk', 'lv', `--lease=${lease}`]);
  await run('lease keep-alive --once', ['lease', 'keep-alive', '--once', lease]);
  await run('lease timetolive --keys', ['lease', 'timetolive', lease, '--keys']);
  await run('lease list', ['lease', 'list']);
  await run('lease revoke', ['lease', 'revoke', lease]);
  await run('get revoked key', ['get', 'lk']);
  await run('lease timetolive (revoked)', ['lease', 'timetolive', lease]);

  // Cluster and maintenance.
  await run('endpoint health', ['endpoint', 'health'], '', (s) =>
    s.trim().split('\n').sort().join('\n'),
  );
  await run('endpoint status', ['endpoint', 'status'], '', statusLines);
  await run('endpoint health --cluster', ['endpoint', 'health', '--cluster'], '', (s) =>
    s.trim().split('\n').sort().join('\n'),
  );
  await run('endpoint status --cluster', ['endpoint', 'status', '--cluster'], '', (s) =>
    s.trim() === '' ? '' : statusLines(s),
  );
  await run('alarm list', ['alarm', 'list']);
  // A member update (to the peer URL it has, so the cluster keeps working), then every member's list.
  const [firstId, , , firstPeers] = byName[0]!;
  // etcdctl pads ids to 16 hex digits (%16x); Flotilla's are shorter, so the padding differs by design.
  await run('member update', ['member', 'update', firstId!, `--peer-urls=${firstPeers}`], '', (s) =>
    s.replace(/ +/g, ' ').replace(/cluster (<lease>|[0-9a-f]+)/, 'cluster <cluster>'),
  );
  for (const [i, endpoint] of endpoints.entries())
    await run(`member list on member ${i + 1}`, ['member', 'list'], '', sortedLines, [endpoint]);
  const snapshotFile = path.join(scratchDir, 'snap.db');
  await run(
    'snapshot save',
    ['snapshot', 'save', snapshotFile],
    '',
    (s) => s.split(snapshotFile).join('<file>'),
    one,
  );

  // Compaction, then a read below it.
  const head = Number(
    JSON.parse((await etcdctl(one, ['get', 'k1', '-w', 'json'])).stdout).header.revision,
  );
  await run('compaction', ['compaction', String(head - 2)]);
  await run('endpoint hashkv --rev', ['endpoint', 'hashkv', '--rev', String(head)], '', sameHashes);
  await run('get below compaction', ['get', 'k1', '--rev', '2']);
  await run('watch below compaction', ['watch', 'k1', '--rev', '2']);

  // Leadership transfer to a follower (etcdctl finds the leader among the endpoints).
  // etcd's ids are full uint64s: read them as text, not as JSON numbers (which would round them).
  const statusJson = (await etcdctl(endpoints, ['endpoint', 'status', '-w', 'json'])).stdout;
  const leader = /"leader":(\d+)/.exec(statusJson)?.[1];
  const target = [...statusJson.matchAll(/"member_id":(\d+)/g)]
    .map((m) => m[1]!)
    .find((id) => id !== leader)!;
  const [leaderHex, targetHex] = [BigInt(leader ?? 0).toString(16), BigInt(target).toString(16)];
  ctx = {
    ...ctx,
    replacements: [[leaderHex, '<leader>'], [targetHex, '<target>'], ...ctx.replacements],
  };
  await run('move-leader', ['move-leader', targetHex]);
  await run('move-leader to the leader again is refused', ['move-leader', 'ffff']);
  return steps;
}
