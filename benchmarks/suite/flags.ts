// Command-line flags, named like etcd's `benchmark` tool (--clients, --total,
// --key-size, --val-size, --key-space-size, --rate) plus the suite's own
// (--target, --scenarios, --quick, --smoke). Parsing is pure: argv in,
// settings out, a FlagError for anything it cannot use.

export const TARGET_NAMES = ['flotilla-embedded', 'flotilla', 'flotilla-grpc', 'etcd'] as const;
export type TargetName = (typeof TARGET_NAMES)[number];

export const SCENARIO_NAMES = [
  'sequential',
  'sweep',
  'state',
  'reads',
  'failover',
  'client-failover',
  'ablations',
  'memory',
] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

export type Mode = 'full' | 'quick' | 'smoke';

export interface Settings {
  readonly mode: Mode;
  readonly targets: readonly TargetName[];
  readonly scenarios: readonly ScenarioName[];
  /** Concurrent clients of the throughput sweep (and of the open-loop runs). */
  readonly clients: readonly number[];
  /** Requests of the sequential scenario; undefined: run for `durationS`. */
  readonly total: number | undefined;
  /** Seconds per measured step (sweep, reads, state-latency rates). */
  readonly durationS: number;
  readonly keySizeBytes: number;
  readonly valSizeBytes: number;
  /** Keys are drawn from this many distinct keys. */
  readonly keySpaceSize: number;
  /** Requests per second for an open-loop sweep (latency from the intended send time); 0: closed loop. */
  readonly rate: number;
  readonly failoverTrials: number;
  /** Key counts of the memory scenario. */
  readonly memoryKeys: readonly number[];
  /** Read clients of the reads scenario. */
  readonly readClients: readonly number[];
  /** Where JSON and HTML go. */
  readonly outDir: string | undefined;
  /** Print the help text and exit. */
  readonly help: boolean;
}

export class FlagError extends Error {
  override readonly name = 'FlagError';
}

interface ModeDefaults {
  total: number;
  durationS: number;
  clients: number[];
  failoverTrials: number;
  memoryKeys: number[];
  readClients: number[];
}

const DEFAULTS: Record<Mode, ModeDefaults> = {
  full: {
    total: 2_000,
    durationS: 10,
    clients: [1, 16, 64, 256],
    failoverTrials: 30,
    memoryKeys: [100_000, 1_000_000],
    readClients: [1, 256],
  },
  quick: {
    total: 400,
    durationS: 2,
    clients: [1, 16, 64, 256],
    failoverTrials: 3,
    memoryKeys: [100_000],
    readClients: [1, 256],
  },
  smoke: {
    total: 50,
    durationS: 1,
    clients: [1, 16],
    failoverTrials: 1,
    memoryKeys: [5_000],
    readClients: [1, 16],
  },
};

export const USAGE = `Usage: pnpm bench [flags]     (build first: pnpm build — the Flotilla processes run packages/server's built bin)

Runs the replication benchmark suite against Flotilla (embedded and remote) and
a real etcd 3.4 cluster (3 nodes each, fsync on, loopback), writes JSON to
benchmarks/results/ and a self-contained HTML report.

  --target LIST          flotilla-embedded,flotilla,flotilla-grpc,etcd (default: all four; flotilla-grpc is
                         the flotilla cluster driven through etcd's client, etcd3 over gRPC, as etcd is)
  --scenarios LIST       ${SCENARIO_NAMES.join(',')} (default: all)
  --quick                short steps, fewer failover trials, 100,000 keys only (under 5 minutes)
  --smoke                a functional check for CI: tiny steps, exits non-zero only on a functional failure
  --clients LIST         concurrent clients of the throughput sweep (default 1,16,64,256)
  --total N              puts of the sequential scenario (default 2,000; quick 400)
  --duration S           seconds per measured step (default 10; quick 2)
  --key-size BYTES       default 8
  --val-size BYTES       default 256
  --key-space-size N     distinct keys written (default 100,000)
  --rate N               open loop at N requests/s for the sweep (latency from the intended send time); default 0 = closed loop
  --failover-trials N    SIGKILLs of the leader per target and setting, in failover and client-failover (default 30; quick 3; smoke 1)
  --memory-keys LIST     key counts of the memory scenario (default 100000,1000000; quick 100000)
  --read-clients LIST    clients of the reads scenario (default 1,256)
  --out DIR              results directory (default benchmarks/results)
  --help
`;

function positiveInt(flag: string, text: string | undefined): number {
  if (
    text === undefined ||
    !/^\d+$/.test(text.replace(/_/g, '')) ||
    Number(text.replace(/_/g, '')) <= 0
  ) {
    throw new FlagError(`${flag} needs a positive whole number, got ${JSON.stringify(text)}`);
  }
  return Number(text.replace(/_/g, ''));
}

function nonNegative(flag: string, text: string | undefined): number {
  if (text === undefined || !/^\d+(\.\d+)?$/.test(text) || !Number.isFinite(Number(text))) {
    throw new FlagError(`${flag} needs a number ≥ 0, got ${JSON.stringify(text)}`);
  }
  return Number(text);
}

function intList(flag: string, text: string | undefined): number[] {
  if (text === undefined || text === '')
    throw new FlagError(`${flag} needs a comma-separated list of whole numbers, e.g. 1,16,64`);
  return text.split(',').map((part) => positiveInt(flag, part.trim()));
}

function nameList<T extends string>(
  flag: string,
  text: string | undefined,
  known: readonly T[],
): T[] {
  if (text === undefined || text === '')
    throw new FlagError(`${flag} needs a comma-separated list from: ${known.join(', ')}`);
  const out: T[] = [];
  for (const part of text.split(',').map((p) => p.trim())) {
    if (!(known as readonly string[]).includes(part))
      throw new FlagError(`${flag}: unknown "${part}"; choose from ${known.join(', ')}`);
    if (!out.includes(part as T)) out.push(part as T);
  }
  return out;
}

/** Splits `--flag=value` and `--flag value`; boolean flags take no value. */
function tokens(
  argv: readonly string[],
  booleans: ReadonlySet<string>,
): Map<string, string | undefined> {
  const out = new Map<string, string | undefined>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') continue; // pnpm passes a separator through
    if (!arg.startsWith('--'))
      throw new FlagError(
        `unexpected argument ${JSON.stringify(arg)}; flags look like --clients 16 (see --help)`,
      );
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(2, eq) : arg.slice(2);
    if (out.has(name)) throw new FlagError(`--${name} given twice`);
    if (eq > 0) out.set(name, arg.slice(eq + 1));
    else if (booleans.has(name)) out.set(name, undefined);
    else {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--'))
        throw new FlagError(`--${name} needs a value`);
      out.set(name, next);
      i++;
    }
  }
  return out;
}

const BOOLEANS = new Set(['quick', 'smoke', 'help']);
const KNOWN = new Set([
  ...BOOLEANS,
  'target',
  'scenarios',
  'clients',
  'total',
  'duration',
  'key-size',
  'val-size',
  'key-space-size',
  'rate',
  'failover-trials',
  'memory-keys',
  'read-clients',
  'out',
]);

export function parseFlags(argv: readonly string[]): Settings {
  const t = tokens(argv, BOOLEANS);
  for (const name of t.keys())
    if (!KNOWN.has(name)) throw new FlagError(`unknown flag --${name} (see --help)`);
  for (const name of BOOLEANS)
    if (t.has(name) && t.get(name) !== undefined) throw new FlagError(`--${name} takes no value`);
  const mode: Mode = t.has('smoke') ? 'smoke' : t.has('quick') ? 'quick' : 'full';
  const d = DEFAULTS[mode];
  if (t.has('total') && t.has('duration'))
    throw new FlagError('--total and --duration both bound a run; give one');
  const keySizeBytes = t.has('key-size') ? positiveInt('--key-size', t.get('key-size')) : 8;
  const keySpaceSize = t.has('key-space-size')
    ? positiveInt('--key-space-size', t.get('key-space-size'))
    : 100_000;
  if (keySizeBytes < 16 && 10 ** keySizeBytes < keySpaceSize) {
    throw new FlagError(
      `--key-space-size ${keySpaceSize} needs keys of more than ${keySizeBytes} bytes (keys are decimal, zero-padded)`,
    );
  }
  return {
    mode,
    targets: t.has('target')
      ? nameList('--target', t.get('target'), TARGET_NAMES)
      : [...TARGET_NAMES],
    scenarios: t.has('scenarios')
      ? nameList('--scenarios', t.get('scenarios'), SCENARIO_NAMES)
      : [...SCENARIO_NAMES],
    clients: t.has('clients') ? intList('--clients', t.get('clients')) : d.clients,
    total: t.has('total')
      ? positiveInt('--total', t.get('total'))
      : t.has('duration')
        ? undefined
        : d.total,
    durationS: t.has('duration') ? positiveInt('--duration', t.get('duration')) : d.durationS,
    keySizeBytes,
    valSizeBytes: t.has('val-size') ? positiveInt('--val-size', t.get('val-size')) : 256,
    keySpaceSize,
    rate: t.has('rate') ? nonNegative('--rate', t.get('rate')) : 0,
    failoverTrials: t.has('failover-trials')
      ? positiveInt('--failover-trials', t.get('failover-trials'))
      : d.failoverTrials,
    memoryKeys: t.has('memory-keys')
      ? intList('--memory-keys', t.get('memory-keys'))
      : d.memoryKeys,
    readClients: t.has('read-clients')
      ? intList('--read-clients', t.get('read-clients'))
      : d.readClients,
    outDir: t.get('out'),
    help: t.has('help'),
  };
}

/** The key of request i: decimal, zero-padded to the key size, within the key space. */
export function keyOf(
  i: number,
  settings: Pick<Settings, 'keySizeBytes' | 'keySpaceSize'>,
  prefix = '',
): string {
  const body = String(i % settings.keySpaceSize).padStart(
    settings.keySizeBytes - prefix.length,
    '0',
  );
  return prefix + body;
}

/**
 * Result files are named `<stem>-latest.json` etc.: `suite-<mode>` for a run
 * of every scenario, `suite-<mode>-<scenarios>` for a run of some, so a run of
 * one scenario does not replace the latest full results.
 */
export function resultStem(settings: Pick<Settings, 'mode' | 'scenarios'>): string {
  const all = SCENARIO_NAMES.every((name) => settings.scenarios.includes(name));
  return all ? `suite-${settings.mode}` : `suite-${settings.mode}-${settings.scenarios.join('+')}`;
}
