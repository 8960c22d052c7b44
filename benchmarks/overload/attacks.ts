// Overload attacks against a three-member `flotilla start` cluster (loopback,
// default limits), one after the other on the same cluster:
//
//   1. puts:   300 concurrent puts of ≈2.7 MB bodies to the leader (2 MB
//              values: over valueBytesMax, so each is parsed, then refused)
//              and 300 of the largest accepted value (1.5 MiB, replicated);
//   2. watches: 5,000 watch streams opened at once on the leader, then puts
//              whose events fan out to every stream;
//   3. slow:   100 watchers on the leader that never read, under puts of 64 KiB.
//
// First an idle control period (leader changes with no attack: on a shared,
// loaded host they happen anyway). Per attack: leader changes seen by the members, client answers by status,
// the servers' refusal counters, and each member's peak RSS (/proc, sampled
// every 100 ms, so a blocked member is still measured). Results go to
// benchmarks/results/overload.json.
//
//   pnpm build && node --conditions=source --import tsx benchmarks/overload/attacks.ts [--puts 300] [--watches 5000] [--slow 100]
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ProcessCluster, type ProcessMember } from '@flotilla/server/process-cluster';

const here = path.dirname(fileURLToPath(import.meta.url));
const resultsFile = path.resolve(here, '../results/overload.json');
const MiB = 1024 * 1024;

function flag(name: string, fallback: number, max: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const value = i < 0 ? fallback : Number(process.argv[i + 1]);
  if (!Number.isInteger(value) || value < 1 || value > max)
    throw new Error(`--${name} must be an integer in 1..${max}`);
  return value;
}

const PUTS = flag('puts', 300, 2_000);
const WATCHES = flag('watches', 5_000, 15_000);
const SLOW = flag('slow', 100, 1_000);

const b64 = (b: Buffer | string): string => Buffer.from(b).toString('base64');

function rssBytes(m: ProcessMember): number {
  const pid = m.child?.pid;
  if (pid === undefined) return 0;
  try {
    const kb = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? 0 : Number(kb) * 1024;
  } catch {
    return 0;
  }
}

/** Peak RSS per member while `work` runs. */
async function withRss<T>(
  cluster: ProcessCluster,
  work: () => Promise<T>,
): Promise<{ result: T; peakRssBytes: Record<string, number> }> {
  const peak: Record<string, number> = Object.fromEntries(
    cluster.members.map((m) => [m.name, rssBytes(m)]),
  );
  const timer = setInterval(() => {
    for (const m of cluster.members) peak[m.name] = Math.max(peak[m.name]!, rssBytes(m));
  }, 100);
  try {
    return { result: await work(), peakRssBytes: peak };
  } finally {
    clearInterval(timer);
  }
}

interface Status {
  readonly role: string;
  readonly leaderId: number;
  readonly leaderChanges: number;
  readonly term: number;
}

async function status(url: string): Promise<Status> {
  return (await (
    await fetch(`${url}/flotilla/status`, { signal: AbortSignal.timeout(10_000) })
  ).json()) as Status;
}

async function leaderChanges(cluster: ProcessCluster): Promise<Record<string, number>> {
  return Object.fromEntries(
    await Promise.all(
      cluster.members.map(
        async (m) => [m.name, (await status(m.clientUrl)).leaderChanges] as const,
      ),
    ),
  );
}

async function refusals(cluster: ProcessCluster): Promise<Record<string, Record<string, number>>> {
  const out: Record<string, Record<string, number>> = {};
  for (const m of cluster.members) {
    const text = await (
      await fetch(`${m.clientUrl}/metrics`, { signal: AbortSignal.timeout(10_000) })
    ).text();
    out[m.name] = Object.fromEntries(
      [...text.matchAll(/^flotilla_http_overload_refusals_total\{limit="([^"]+)"\} (\d+)$/gm)].map(
        (x) => [x[1]!, Number(x[2])],
      ),
    );
  }
  return out;
}

async function leaderOf(cluster: ProcessCluster): Promise<ProcessMember> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    for (const m of cluster.members) {
      const s = await status(m.clientUrl).catch(() => undefined);
      if (s?.role === 'leader') return m;
    }
    if (Date.now() > deadline) throw new Error('no leader within 30 s');
    await new Promise((r) => setTimeout(r, 100));
  }
}

function tally(statuses: (number | string)[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of statuses) out[String(s)] = (out[String(s)] ?? 0) + 1;
  return out;
}

/** A failed request by its error and, for fetch's TypeError, the socket-level cause (ECONNRESET, …). */
function errorLabel(err: unknown): string {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  const cause = e.cause?.code ?? e.cause?.message;
  return `error:${e.name}${cause === undefined ? '' : `(${cause})`}`;
}

async function concurrentPuts(
  url: string,
  count: number,
  valueBytes: number,
  prefix: string,
): Promise<Record<string, number>> {
  const value = b64(Buffer.alloc(valueBytes, 5));
  const statuses = await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      try {
        const res = await fetch(`${url}/v3/kv/put`, {
          method: 'POST',
          body: JSON.stringify({ key: b64(`${prefix}/${i}`), value }),
          signal: AbortSignal.timeout(120_000),
        });
        await res.arrayBuffer();
        return res.status;
      } catch (err) {
        return errorLabel(err);
      }
    }),
  );
  return tally(statuses);
}

/** Opens `count` watch streams on raw sockets; resolves with how each was answered. */
async function openWatches(
  url: string,
  count: number,
  key: string,
  read: boolean,
): Promise<{ sockets: net.Socket[]; answers: Record<string, number> }> {
  const { hostname, port } = new URL(url);
  const body = JSON.stringify({ create_request: { key: b64(key), range_end: b64(`${key}\xff`) } });
  const request = `POST /v3/watch HTTP/1.1\r\nHost: ${hostname}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
  const sockets: net.Socket[] = [];
  const answers = await Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<string>((resolve) => {
          const socket = net.connect(Number(port), hostname);
          sockets.push(socket);
          let first = '';
          const timer = setTimeout(() => resolve('no answer in 60 s'), 60_000);
          socket.on('error', () => {
            clearTimeout(timer);
            resolve('connection error');
          });
          socket.once('close', () => {
            clearTimeout(timer);
            resolve(first === '' ? 'closed' : first);
          });
          socket.on('data', (chunk: Buffer) => {
            if (first === '') {
              first = chunk.toString('utf8', 9, 12);
              clearTimeout(timer);
              resolve(first);
              if (!read) socket.pause();
            }
          });
          socket.write(request);
        }),
    ),
  );
  return { sockets, answers: tally(answers) };
}

async function sequentialPuts(
  url: string,
  count: number,
  valueBytes: number,
  prefix: string,
): Promise<Record<string, number>> {
  const value = b64(Buffer.alloc(valueBytes, 9));
  const statuses: (number | string)[] = [];
  for (let i = 0; i < count; i++) {
    try {
      const res = await fetch(`${url}/v3/kv/put`, {
        method: 'POST',
        body: JSON.stringify({ key: b64(`${prefix}/${i}`), value }),
        signal: AbortSignal.timeout(30_000),
      });
      await res.arrayBuffer();
      statuses.push(res.status);
    } catch (err) {
      statuses.push(errorLabel(err));
    }
  }
  return tally(statuses);
}

async function attack(
  cluster: ProcessCluster,
  name: string,
  work: (leader: ProcessMember) => Promise<Record<string, unknown>>,
): Promise<Record<string, unknown>> {
  const leader = await leaderOf(cluster);
  const before = await leaderChanges(cluster);
  const refusedBefore = await refusals(cluster);
  const started = Date.now();
  const rssAtStartMiB = Object.fromEntries(
    cluster.members.map((m) => [m.name, Math.round(rssBytes(m) / MiB)]),
  );
  console.log(`${name}: leader ${leader.name}`);
  const { result, peakRssBytes } = await withRss(cluster, () => work(leader));
  await new Promise((r) => setTimeout(r, 1_000)); // an election the attack set off shows up here
  const after = await leaderChanges(cluster);
  const refusedAfter = await refusals(cluster);
  const refused: Record<string, Record<string, number>> = {};
  for (const [member, counts] of Object.entries(refusedAfter)) {
    refused[member] = Object.fromEntries(
      Object.entries(counts)
        .map(([k, v]) => [k, v - (refusedBefore[member]?.[k] ?? 0)])
        .filter(([, v]) => (v as number) > 0),
    );
  }
  const changes = Math.max(...cluster.members.map((m) => after[m.name]! - before[m.name]!));
  const out = {
    name,
    leader: leader.name,
    durationMs: Date.now() - started,
    leaderChanges: changes,
    rssAtStartMiB,
    peakRssMiB: Object.fromEntries(
      Object.entries(peakRssBytes).map(([k, v]) => [k, Math.round(v / MiB)]),
    ),
    refused,
    ...result,
  };
  console.log(JSON.stringify(out));
  return out;
}

async function main(): Promise<void> {
  const baseDir = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-overload-'));
  const cluster = await ProcessCluster.create({ baseDir, size: 3 });
  const results: Record<string, unknown>[] = [];
  try {
    cluster.startAll();
    await cluster.waitHealthy();
    // The control: leader changes on this machine with no attack at all (a shared, loaded host elects too).
    results.push(
      await attack(cluster, 'idle: no load for 20 s (control)', async () => {
        await new Promise((r) => setTimeout(r, 20_000));
        return {};
      }),
    );
    results.push(
      await attack(
        cluster,
        `puts: ${PUTS} concurrent, 2.7 MB bodies (values over valueBytesMax)`,
        async (leader) => ({
          answers: await concurrentPuts(leader.clientUrl, PUTS, 2_025_000, 'oversize'),
        }),
      ),
    );
    results.push(
      await attack(
        cluster,
        `puts: ${PUTS} concurrent, 1.5 MiB values (accepted size)`,
        async (leader) => ({
          answers: await concurrentPuts(leader.clientUrl, PUTS, 1.5 * MiB, 'max'),
        }),
      ),
    );
    results.push(
      await attack(
        cluster,
        `watches: ${WATCHES} streams opened at once, then 100 puts`,
        async (leader) => {
          const { sockets, answers } = await openWatches(leader.clientUrl, WATCHES, 'w/', true);
          const puts = await sequentialPuts(leader.clientUrl, 100, 256, 'w');
          for (const s of sockets) s.destroy();
          return { watchAnswers: answers, putAnswers: puts };
        },
      ),
    );
    results.push(
      await attack(
        cluster,
        `slow: ${SLOW} watchers that never read, 400 puts of 64 KiB`,
        async (leader) => {
          const { sockets, answers } = await openWatches(leader.clientUrl, SLOW, 's/', false);
          const puts = await sequentialPuts(leader.clientUrl, 400, 64 * 1024, 's');
          for (const s of sockets) s.destroy();
          return { watchAnswers: answers, putAnswers: puts };
        },
      ),
    );
  } finally {
    await cluster.close();
    fs.rmSync(baseDir, { recursive: true, force: true });
  }
  const out = {
    program: 'benchmarks/overload/attacks.ts',
    date: new Date().toISOString(),
    host: {
      cpus: os.cpus().length,
      memMiB: Math.round(os.totalmem() / MiB),
      node: process.version,
      loadAverage1m: os.loadavg()[0],
    },
    limits: 'defaults (packages/server/src/http/limits.ts)',
    attacks: results,
  };
  fs.mkdirSync(path.dirname(resultsFile), { recursive: true });
  fs.writeFileSync(resultsFile, `${JSON.stringify(out, null, 2)}\n`);
  console.log(`wrote ${resultsFile}`);
}

await main();
