// What TLS and auth cost: the `flotilla` target (three `flotilla start`
// processes, remoteKv) run twice in one program, plain and secure (HTTPS
// client ports with client certificates, peer mutual TLS, auth enabled and
// the client logged in as a user with readwrite on every key), each measured
// with sequential puts (1 client: p50) and a closed loop at 64 clients
// (puts/s). The result is the on/off ratios, written to
// benchmarks/results/security-cost-<mode>.json and printed as a table.
//
//   node --conditions=source --import tsx benchmarks/suite/security-cost.ts [--quick] [--clients 64]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { remoteKv, type KV } from '@flotilla/client';
import { memberIdOf } from '@flotilla/server';
import { ProcessCluster } from '@flotilla/server/process-cluster';
import { generateCerts } from '../../tools/gen-certs.js';
import { loadRecord, putOp, type LoadRecord } from './context.js';
import { parseFlags, type Settings } from './flags.js';
import { runLoad } from './load.js';
import { Progress } from './progress.js';
import { securityRatios, securityTable, type SecurityVariant } from './security-ratios.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const WARMUP_MS = 500;
const BENCH_USER = { user: 'bench', password: 'bench-password' };

interface Started {
  readonly cluster: ProcessCluster;
  readonly kv: KV;
}

async function json(
  cluster: ProcessCluster,
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Record<string, unknown>> {
  const res = await fetch(url, {
    method: 'POST',
    body: JSON.stringify(body),
    headers,
    signal: AbortSignal.timeout(5_000),
    ...(cluster.dispatcher ? { dispatcher: cluster.dispatcher } : {}),
  } as RequestInit);
  const answer = (await res.json()) as Record<string, unknown>;
  if (!res.ok) throw new Error(`${url}: ${String(answer['message'] ?? res.status)}`);
  return answer;
}

/** root, and a user with readwrite on every key (so each write passes the permission check, as an application's would), then auth enable. */
async function enableAuth(cluster: ProcessCluster, url: string): Promise<void> {
  await json(cluster, `${url}/v3/auth/user/add`, { name: 'root', password: 'root-password' });
  await json(cluster, `${url}/v3/auth/user/grant`, { user: 'root', role: 'root' });
  await json(cluster, `${url}/v3/auth/user/add`, {
    name: BENCH_USER.user,
    password: BENCH_USER.password,
  });
  await json(cluster, `${url}/v3/auth/role/add`, { name: 'bench' });
  await json(cluster, `${url}/v3/auth/role/grant`, {
    name: 'bench',
    perm: {
      permType: 'READWRITE',
      key: Buffer.from('\0').toString('base64'),
      range_end: Buffer.from('\0').toString('base64'),
    },
  });
  await json(cluster, `${url}/v3/auth/user/grant`, { user: BENCH_USER.user, role: 'bench' });
  await json(cluster, `${url}/v3/auth/enable`, {});
}

async function start(variant: SecurityVariant, baseDir: string): Promise<Started> {
  const certDir = path.join(baseDir, 'certs');
  if (variant === 'secure') generateCerts(certDir, ['n1', 'n2', 'n3', 'client']);
  const cluster = await ProcessCluster.create({
    baseDir,
    logLevel: 'warn',
    ...(variant === 'secure' ? { tls: { dir: certDir } } : {}),
  });
  cluster.startAll();
  await cluster.waitHealthy(30_000);
  const tls =
    variant === 'secure'
      ? {
          cacert: path.join(certDir, 'ca.crt'),
          cert: path.join(certDir, 'client.crt'),
          key: path.join(certDir, 'client.key'),
        }
      : undefined;
  const probe = remoteKv({ endpoints: cluster.endpoints, ...(tls ? { tls } : {}) });
  const status = await probe.status();
  await probe.close();
  // Leader first, as the suite's targets do: the client's first attempt goes where the write is decided.
  const leader = Math.max(
    0,
    cluster.members.findIndex((m) => String(memberIdOf(m.name)) === status.leaderId),
  );
  const ordered = [cluster.endpoints[leader]!, ...cluster.endpoints.filter((_, i) => i !== leader)];
  if (variant === 'secure') await enableAuth(cluster, ordered[0]!);
  const kv = remoteKv({
    endpoints: ordered,
    exactlyOnce: true,
    writesInFlightMax: 1024,
    ...(tls ? { tls, auth: BENCH_USER } : {}),
  });
  return { cluster, kv };
}

async function measure(
  variant: SecurityVariant,
  settings: Settings,
  clients: number,
  dataDir: string,
  progress: Progress,
): Promise<{ sequential: LoadRecord; concurrent: LoadRecord }> {
  const { cluster, kv } = await start(variant, path.join(dataDir, variant));
  try {
    const op = putOp(kv, settings);
    progress.begin(`${variant}: sequential puts`);
    await runLoad({ clients: 1, durationMs: WARMUP_MS, op });
    const sequential = loadRecord(
      await runLoad({ clients: 1, durationMs: settings.durationS * 1000, op }),
      1,
      0,
    );
    progress.note(`p50 ${sequential.latencyMs.p50} ms, ${sequential.throughput} puts/s`);
    progress.begin(`${variant}: ${clients} clients`);
    await runLoad({ clients, durationMs: WARMUP_MS, op });
    const concurrent = loadRecord(
      await runLoad({ clients, durationMs: settings.durationS * 1000, op }),
      clients,
      0,
    );
    progress.note(
      `${concurrent.throughput} puts/s, p50 ${concurrent.latencyMs.p50} ms${concurrent.errors ? `, ${concurrent.errors} errors` : ''}`,
    );
    if (sequential.ok === 0 || concurrent.ok === 0)
      throw new Error(
        `${variant}: no put succeeded (${[...sequential.errorSamples, ...concurrent.errorSamples].join(' | ')})`,
      );
    return { sequential, concurrent };
  } finally {
    await kv.close();
    await cluster.close();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { quick: { type: 'boolean' }, clients: { type: 'string', default: '64' } },
  });
  const mode = values.quick ? 'quick' : 'full';
  const settings = parseFlags(values.quick ? ['--quick'] : []);
  const clients = Number(values.clients);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-security-cost-'));
  const progress = new Progress();
  try {
    const off = await measure('plain', settings, clients, dataDir, progress);
    const on = await measure('secure', settings, clients, dataDir, progress);
    const ratios = securityRatios(off, on);
    const result = {
      benchmark: 'security-cost',
      mode,
      at: new Date().toISOString(),
      durationS: settings.durationS,
      clients,
      off,
      on,
      ratios,
    };
    const out = path.resolve(here, '../results', `security-cost-${mode}.json`);
    fs.writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
    process.stdout.write(`\n${securityTable(off, on, ratios, clients)}\n\nresults: ${out}\n`);
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
process.exit();
