// Structured clone or transferable buffers for the thread hop (issue #15): one
// plain worker_threads worker (hop-encoding-worker.ts, no Flotilla node, so
// only the hop is timed) answers batches of put calls shaped like
// packages/node's (hop-encoding-batches.ts), crossing each way as
// hop-encoding-codec.ts's 'clone' (postMessage of the object graph, as today),
// 'copy' or 'fresh' (msgpackr into one transferred buffer). Per batch shape
// and crossing, REPS runs taking turns (the order flips every repetition);
// each run times 2,000 sequential round trips (400 for batches over 1 MiB)
// after a tenth as many to warm up, and reads the CPU used meanwhile by the
// process, this (host) thread and the worker's. First it checks that the
// encoded crossings keep what the node relies on, and lists where msgpack
// differs from a clone.
//
//   cd benchmarks && node --conditions=source --import tsx node/hop-encoding.ts
//     [--quick] [--cases=16x65536,1x256]   (calls per batch x bytes per value)
//
// Writes benchmarks/results/hop-encoding.json (-quick, -cases with the flags).
import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { Worker } from 'node:worker_threads';
import { threadCpuUs } from '../suite/cpu.js';
import { LatencyHistogram, round } from '../suite/histogram.js';
import { median } from '../suite/scenarios/client-failover.js';
import { leaderStatus, putCalls, type Answer } from './hop-encoding-batches.js';
import {
  CROSSINGS,
  HopSender,
  receiveBatch,
  type Crossing,
  type HopControl,
} from './hop-encoding-codec.js';

const QUICK = process.argv.includes('--quick');
const REPS = QUICK ? 2 : 5;
/** Per run; a batch over 1 MiB takes longer, so it runs fewer per run (the JSON says how many). */
const roundTripsFor = (batchBytes: number): number =>
  QUICK ? 200 : batchBytes > 1 << 20 ? 400 : 2_000;
/** Before each run, untimed: the code is warm after the first runs, this settles the heap and caches. */
const warmupRoundTrips = (roundTrips: number): number => Math.ceil(roundTrips / 10);

interface Case {
  readonly calls: number;
  readonly valueBytes: number;
}
const DEFAULT_CASES: readonly Case[] = [
  { calls: 1, valueBytes: 256 },
  { calls: 64, valueBytes: 256 },
  { calls: 1, valueBytes: 64 << 10 },
  { calls: 64, valueBytes: 64 << 10 },
];
const casesArg = process.argv.find((a) => a.startsWith('--cases='));
const CASES =
  casesArg === undefined ? DEFAULT_CASES : parseCases(casesArg.slice('--cases='.length));

/** `--cases=16x65536,4x1024`: calls per batch × bytes per value. */
function parseCases(text: string): Case[] {
  return text.split(',').map((one) => {
    const m = /^(\d+)x(\d+)$/.exec(one);
    if (m === null || Number(m[1]) < 1 || Number(m[2]) < 1) {
      console.error(`--cases: "${one}" is not calls x valueBytes, e.g. --cases=16x65536,1x256`);
      process.exit(2);
    }
    return { calls: Number(m[1]), valueBytes: Number(m[2]) };
  });
}
const here = path.dirname(fileURLToPath(import.meta.url));
/** A run with --quick or --cases writes its own file, next to the default run's. */
const resultsFile = path.resolve(
  here,
  `../results/hop-encoding${QUICK ? '-quick' : ''}${casesArg === undefined ? '' : '-cases'}.json`,
);

/** A worker does not inherit tsx's loader: a bootstrap registers it there first (as packages/node's worker-spawn.ts does). */
function startWorker(): Worker {
  const tsx = import.meta.resolve('tsx/esm/api');
  const main = new URL('./hop-encoding-worker.ts', import.meta.url).href;
  const bootstrap = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(main)}); });`;
  return new Worker(bootstrap, { eval: true, execArgv: ['--conditions=source'] });
}

/** The worker and the one round trip or CPU reading in flight. */
class EchoWorker {
  private readonly worker = startWorker();
  private readonly sender = new HopSender(this.worker);
  private answer: ((batch: unknown[]) => void) | undefined;
  private cpuReading: ((us: number | undefined) => void) | undefined;
  /** Bytes of the last encoded batch received (0 after a 'clone'). */
  lastReceivedBytes = 0;

  constructor() {
    this.worker.on('message', (data: unknown) => {
      if (Array.isArray(data) || data instanceof Uint8Array) {
        this.lastReceivedBytes = data instanceof Uint8Array ? data.byteLength : 0;
        this.answer?.(receiveBatch(data));
      } else this.cpuReading?.((data as HopControl & { ctl: 'cpu' }).us);
    });
    this.worker.on('error', (err) => {
      console.error(err);
      process.exit(1);
    });
  }

  /** Answers cross back the same way. */
  use(how: Crossing): void {
    this.worker.postMessage({ ctl: 'crossing', how } satisfies HopControl);
  }

  roundTrip(batch: unknown[], how: Crossing): Promise<unknown[]> {
    return new Promise((resolve) => {
      this.answer = resolve;
      this.sender.send(batch, how);
    });
  }

  /** Bytes of the last encoded batch sent (0 after a 'clone'). */
  get lastBytes(): number {
    return this.sender.lastBytes;
  }

  threadCpuUs(): Promise<number | undefined> {
    return new Promise((resolve) => {
      this.cpuReading = resolve;
      this.worker.postMessage({ ctl: 'cpu' } satisfies HopControl);
    });
  }

  eventLoopUtilization(prev?: ReturnType<Worker['performance']['eventLoopUtilization']>) {
    return this.worker.performance.eventLoopUtilization(prev);
  }

  terminate(): Promise<number> {
    return this.worker.terminate();
  }
}

interface Run {
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** CPU per round trip, µs: the whole process (both threads, GC helpers), this thread, the worker's. */
  readonly processCpuUs: number;
  readonly hostCpuUs: number;
  readonly workerCpuUs: number;
  /** The worker's event loop: share of the run it was busy. */
  readonly workerElu: number;
}

async function measure(w: EchoWorker, c: Case, how: Crossing): Promise<Run> {
  w.use(how);
  // A value of its own per call: the structured clone copies an ArrayBuffer met twice in one post
  // only once, so a value shared by every call would make 'clone' look cheap.
  const values = Array.from({ length: c.calls }, (_, i) => new Uint8Array(c.valueBytes).fill(i));
  let id = 1;
  const trip = async (): Promise<void> => {
    const calls = putCalls(id, values);
    id += c.calls;
    const answers = (await w.roundTrip(calls, how)) as Answer[];
    // Read what WorkerNode reads: each answer's revision, the status.
    const last = answers[answers.length - 1]!;
    const first = answers[0]!;
    if (first.t !== 'res' || first.id !== calls[0]!.id || last.t !== 'state')
      throw new Error(`the answers do not match the calls (${how})`);
    if (last.status.revision !== first.value.header.revision + c.calls - 1)
      throw new Error(`the status does not match the answers (${how})`);
  };
  const n = roundTripsFor(c.calls * c.valueBytes);
  for (let i = 0; i < warmupRoundTrips(n); i++) await trip();
  const cpu0 = process.cpuUsage();
  const host0 = threadCpuUs() ?? Number.NaN;
  const worker0 = (await w.threadCpuUs()) ?? Number.NaN;
  const elu0 = w.eventLoopUtilization();
  const hist = new LatencyHistogram();
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await trip();
    hist.record(performance.now() - t0);
  }
  const elu = w.eventLoopUtilization(elu0);
  const worker1 = (await w.threadCpuUs()) ?? Number.NaN;
  const host1 = threadCpuUs() ?? Number.NaN;
  const cpu = process.cpuUsage(cpu0);
  return {
    p50Ms: round(hist.quantile(0.5), 4),
    p99Ms: round(hist.quantile(0.99), 4),
    processCpuUs: round((cpu.user + cpu.system) / n, 1),
    hostCpuUs: round((host1 - host0) / n, 1),
    workerCpuUs: round((worker1 - worker0) / n, 1),
    workerElu: round(elu.utilization),
  };
}

const RUN_FIELDS = [
  'p50Ms',
  'p99Ms',
  'processCpuUs',
  'hostCpuUs',
  'workerCpuUs',
  'workerElu',
] as const;

function medianRun(runs: readonly Run[]): Run {
  const out: Record<string, number> = {};
  for (const f of RUN_FIELDS) out[f] = round(median(runs.map((r) => r[f])) ?? Number.NaN, 4);
  return out as unknown as Run;
}

async function measureCase(w: EchoWorker, c: Case) {
  const runs: Record<Crossing, Run[]> = { clone: [], copy: [], fresh: [] };
  const bytes = { toWorker: 0, back: 0 };
  for (let rep = 0; rep < REPS; rep++) {
    const order = rep % 2 === 0 ? CROSSINGS : [...CROSSINGS].reverse();
    for (const how of order) {
      runs[how].push(await measure(w, c, how));
      if (how === 'copy')
        Object.assign(bytes, { toWorker: w.lastBytes, back: w.lastReceivedBytes });
    }
  }
  const med = {
    clone: medianRun(runs.clone),
    copy: medianRun(runs.copy),
    fresh: medianRun(runs.fresh),
  };
  const ratio = (how: 'copy' | 'fresh') => ({
    p50: round(med[how].p50Ms / med.clone.p50Ms),
    processCpu: round(med[how].processCpuUs / med.clone.processCpuUs),
  });
  return {
    ...c,
    roundTripsPerRun: roundTripsFor(c.calls * c.valueBytes),
    /** msgpack bytes of one batch of calls and of its answers. */
    encodedBytes: bytes,
    median: med,
    ratioToClone: { copy: ratio('copy'), fresh: ratio('fresh') },
    runs,
  };
}

/** Messages with what the node relies on: bytes, undefined fields and arguments, big numbers, errors as data. */
function fidelitySample(): unknown[] {
  const value = new Uint8Array(300).map((_, i) => i & 0xff);
  return [
    { t: 'echo' },
    {
      t: 'call',
      id: 2 ** 40 + 1,
      method: 'put',
      args: [{ key: new Uint8Array([1, 2, 3]), value, lease: 2 ** 33 + 5 }, undefined],
    },
    { t: 'res', id: 3, value: { header: { revision: 2 ** 40 + 7 }, prevKv: undefined } },
    {
      t: 'err',
      id: 4,
      error: {
        name: 'NotLeaderError',
        message: 'not the leader (put); the leader is member 2',
        category: 'notApplied',
        fields: { leader: 2, operation: 'put' },
      },
    },
    {
      t: 'err',
      id: 5,
      error: {
        name: 'RequestTooLargeError',
        message: 'request is 3000000 bytes, over the limit of 1572864',
        fields: {},
        kv: {
          name: 'RequestTooLargeError',
          message: 'too large',
          fields: { bytes: 3e6, max: 1572864 },
        },
      },
    },
    { t: 'state', status: { ...leaderStatus(2 ** 40), role: 'follower', progress: undefined } },
  ];
}

async function fidelity(w: EchoWorker) {
  const sample = fidelitySample();
  w.use('clone');
  const cloned = await w.roundTrip(fidelitySample(), 'clone');
  const checks: Record<string, Record<string, boolean>> = {};
  for (const how of ['copy', 'fresh'] as const) {
    w.use(how);
    const got = (await w.roundTrip(fidelitySample(), how)) as typeof sample;
    const call = got[1] as { args: [{ value: Uint8Array; lease: number }, undefined] };
    const res = got[2] as { value: { header: { revision: number } } };
    const v = call.args[0].value;
    checks[how] = {
      /** Deep-equal to the structured clone: same classes (Uint8Array, not Buffer), same keys. */
      sameAsStructuredClone: isDeepStrictEqual(got, cloned),
      uint8ArrayNotBuffer: v instanceof Uint8Array && !Buffer.isBuffer(v),
      sameBytes: isDeepStrictEqual([...v], [...(sample[1] as typeof call).args[0].value]),
      /** A decoded value is a view of the whole post's buffer, which it keeps alive. */
      valueIsViewOfPost: v.buffer.byteLength > v.byteLength,
      undefinedArgumentKept: call.args.length === 2 && call.args[1] === undefined,
      undefinedFieldKept:
        'prevKv' in res.value && (res.value as { prevKv?: unknown }).prevKv === undefined,
      numbersAbove2e32:
        res.value.header.revision === 2 ** 40 + 7 && call.args[0].lease === 2 ** 33 + 5,
      errorsAsData: isDeepStrictEqual(got.slice(3, 5), sample.slice(3, 5)),
      statusAsData: isDeepStrictEqual(got[5], sample[5]),
    };
  }
  return {
    clonedEqualsSent: isDeepStrictEqual(cloned, sample),
    checks,
    differences: differences(),
  };
}

/**
 * Values a message can hold where msgpack is not a structured clone: what each side gets back.
 * The node relies on the first (a request holding a function fails alone, see WorkerNode.flush);
 * log objects can hold the others.
 */
function differences(): Record<string, { clone: string; msgpack: string }> {
  let posted: unknown;
  const sender = new HopSender({ postMessage: (v: unknown) => (posted = v) });
  const viaMsgpack = (x: unknown): unknown => {
    sender.send([x], 'copy');
    return receiveBatch(posted)[0];
  };
  const kind = (x: unknown): string =>
    x instanceof Error ? x.name : Array.isArray(x) ? 'Array' : x instanceof Map ? 'Map' : typeof x;
  const cloned = (x: unknown): string => {
    try {
      return kind(structuredClone(x));
    } catch (err) {
      return `throws ${(err as Error).name}`;
    }
  };
  const fn = (): number => 0;
  const table: Record<string, unknown> = {
    function: fn,
    rangeError: new RangeError('out of range'),
    map: new Map([[1, 'one']]),
  };
  const out: Record<string, { clone: string; msgpack: string }> = {};
  for (const [name, x] of Object.entries(table)) {
    let msgpack: string;
    try {
      msgpack = kind(viaMsgpack(x));
    } catch (err) {
      msgpack = `throws ${(err as Error).name}`;
    }
    out[name] = { clone: cloned(x), msgpack };
  }
  return out;
}

function gitCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: here }).toString().trim();
  } catch {
    return 'unknown';
  }
}

const startedAt = new Date().toISOString();
const loadStart = os.loadavg().map((x) => round(x, 2));
const w = new EchoWorker();
try {
  const fid = await fidelity(w);
  console.log(JSON.stringify(fid));
  const cases = [];
  for (const c of CASES) {
    const r = await measureCase(w, c);
    console.log(
      JSON.stringify({
        calls: r.calls,
        valueBytes: r.valueBytes,
        median: r.median,
        ratioToClone: r.ratioToClone,
      }),
    );
    cases.push(r);
  }
  const result = {
    benchmark: 'hop-encoding',
    when: startedAt,
    git: gitCommit(),
    machine: {
      cpus: os.cpus().length,
      model: os.cpus()[0]?.model,
      node: process.version,
      loadavgStart: loadStart,
      loadavgEnd: os.loadavg().map((x) => round(x, 2)),
    },
    reps: REPS,
    warmupRoundTripsPerRun: 'a tenth of roundTripsPerRun',
    fidelity: fid,
    cases,
  };
  await mkdir(path.dirname(resultsFile), { recursive: true });
  await writeFile(resultsFile, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`wrote ${resultsFile}`);
} finally {
  await w.terminate();
}
