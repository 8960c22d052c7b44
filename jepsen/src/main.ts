// `pnpm jepsen [--workload W[,W]] [--nemesis N[,N]] [--time S] [--nodes 3|5]
//   [--target flotilla|etcd] [--client http|grpc] [--seed S] [--unsafe-reads] [--secure] [--out DIR] [--keep-data]`
// Runs one test against real processes and writes report.html + verdict.json.
// Flotilla runs the BUILT bin: run `pnpm build` (or `npx tsc -b tsconfig.build.json`) first.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { defaultClient } from './cluster/target.js';
import { runTest } from './run.js';

const USAGE = `usage: pnpm jepsen [options]
  --workload register,set,watch,append,lock,register-lease,lease-lock   workloads to run together
             (default: all seven; etcd's default leaves register-lease out: etcd has no lease reads)
  --nemesis  partition,kill,pause,clock,slow-disk,churn,clock-extreme,failing-disk groups or single faults,
             e.g. partition-halves,kill-leader (default: the first six groups; clock (drift within the lease's
             ±5 %), clock-extreme (×0.5 … ×2, not with register-lease or lease-lock), slow-disk and failing-disk
             (log writes fail with EIO: the member stops itself and exits 1) restart a node with TEST ONLY flags,
             churn removes a member and re-adds it under its name: Flotilla only; etcd's default leaves churn out)
  --time     seconds of client activity (default 60)
  --nodes    3 or 5 (default 3)
  --target   flotilla | etcd (default flotilla; etcd needs Debian's etcd-server)
  --client   http | grpc: the workloads' protocol (default: the target's own, Flotilla http, etcd grpc).
             grpc is the etcd3 npm client over etcd's v3 gRPC API on either target (same client code,
             so the two compare like for like; with --secure over TLS, ALPN h2); http on etcd is its JSON gateway
  --seed     the schedule's seed (default: random; printed for replay)
  --unsafe-reads  the unsafe control: local (serializable) reads recorded as linearizable
  --secure   Flotilla only: TLS everywhere (certificates made for the run; peer mTLS through the proxies)
             and auth on (root; the workloads' clients log in)
  --out DIR  where report.html and verdict.json go (default jepsen/runs/<target>-<seed>)
  --keep-data     keep data directories and node logs under DIR/data
Flotilla runs the built bin (packages/server/bin/flotilla.js → dist): run \`pnpm build\` first.
Exit code: 0 valid, 1 invalid, 2 unknown (checker budget), 3 usage or setup error.`;

/** Every workload; etcd has no lease reads (its client would serve register-lease's reads linearizably, testing nothing new). */
function defaultWorkloads(target: string): string {
  return target === 'etcd'
    ? 'register,set,watch,append,lock,lease-lock'
    : 'register,set,watch,append,lock,register-lease,lease-lock';
}

/** Every group; etcd's default leaves churn out (refused there, see run.ts) and keeps its schedule as before churn existed. */
function defaultNemeses(target: string): string {
  return target === 'etcd'
    ? 'partition,kill,pause,clock,slow-disk'
    : 'partition,kill,pause,clock,slow-disk,churn';
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      workload: { type: 'string' },
      nemesis: { type: 'string' },
      time: { type: 'string' },
      nodes: { type: 'string' },
      target: { type: 'string' },
      client: { type: 'string' },
      seed: { type: 'string' },
      'unsafe-reads': { type: 'boolean' },
      secure: { type: 'boolean' },
      out: { type: 'string' },
      'keep-data': { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const target = values.target ?? 'flotilla';
  const nodes = Number(values.nodes ?? 3);
  const timeS = Number(values.time ?? 60);
  const seed =
    values.seed !== undefined ? Number(values.seed) : Math.floor(Math.random() * 2 ** 31);
  const secure = values.secure === true;
  if (target !== 'flotilla' && target !== 'etcd') {
    console.error(USAGE);
    return 3;
  }
  const client = values.client ?? defaultClient(target);
  if (
    (client !== 'http' && client !== 'grpc') ||
    ![3, 5].includes(nodes) ||
    !(timeS > 0) ||
    !Number.isInteger(seed) ||
    (secure && target !== 'flotilla')
  ) {
    console.error(USAGE);
    return 3;
  }
  const verdict = await runTest({
    target,
    client,
    nodes,
    timeS,
    seed,
    workloads: (values.workload ?? defaultWorkloads(target)).split(',').filter(Boolean),
    nemeses: (values.nemesis ?? defaultNemeses(target)).split(',').filter(Boolean),
    unsafeReads: values['unsafe-reads'] ?? false,
    secure,
    keepData: values['keep-data'] ?? false,
    outDir: path.resolve(
      values.out ??
        path.join(
          'jepsen',
          'runs',
          `${target}${client === defaultClient(target) ? '' : `-${client}`}-${seed}`,
        ),
    ),
    log: (line) => console.error(`[jepsen] ${line}`),
  });
  for (const w of verdict.workloads)
    console.log(
      `${w.workload}: ${w.valid === true ? 'valid' : w.valid === false ? 'INVALID' : 'unknown'} ${JSON.stringify(w.stats)}`,
    );
  console.log(
    `verdict: ${verdict.valid === true ? 'valid' : verdict.valid === false ? 'INVALID' : 'unknown'} (seed ${seed}, ${verdict.faults.length} faults, ${(verdict.durationMs / 1000).toFixed(0)} s)`,
  );
  console.log(
    `report: ${verdict.reportFile}\nverdict: ${verdict.verdictFile}\nreplay: ${verdict.replay}`,
  );
  return verdict.valid === true ? 0 : verdict.valid === false ? 1 : 2;
}

main().then(
  (code) => (process.exitCode = code),
  (err: unknown) => {
    console.error(err instanceof Error ? `${err.name}: ${err.message}` : err);
    // FLOTILLA_DEBUG=1: where it came from (a run that stops on an error is a suite bug to find).
    if (process.env['FLOTILLA_DEBUG'] === '1' && err instanceof Error)
      console.error(err.stack, '\ncaused by:', err.cause);
    process.exitCode = 3;
  },
);
