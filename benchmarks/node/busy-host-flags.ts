// Flags of the busy-host benchmark. Parsing is pure: argv in, settings out,
// a FlagError for anything it cannot use.
import { parseArgs } from 'node:util';
import type { BlockKind } from './busy-host-protocol.js';

export type ThreadFlag = 'worker' | 'inline';

export interface BusyHostSettings {
  readonly mode: 'full' | 'quick';
  /** The block lengths B, one phase (a fresh cluster) each. */
  readonly blockMs: readonly number[];
  readonly blockKind: BlockKind;
  readonly durationS: number;
  readonly warmupS: number;
  /** Puts per second issued by each member process. */
  readonly rateHz: number;
  /** openNode's `thread` option; undefined: not passed. */
  readonly thread: ThreadFlag | undefined;
  /** Where result files go; undefined: benchmarks/results. */
  readonly resultsDir: string | undefined;
  readonly help: boolean;
}

export class FlagError extends Error {
  override readonly name = 'FlagError';
}

const FULL = { blockMs: [0, 100, 200, 400, 1000], durationS: 25, warmupS: 2 };
const QUICK = { blockMs: [0, 200], durationS: 5, warmupS: 1 };
const RATE_HZ = 50;
const BLOCK_MS_MAX = 10_000;
const DURATION_S_MAX = 3_600;
const RATE_HZ_MAX = 1_000;

export const USAGE = `Usage: node --conditions=source --import tsx benchmarks/node/busy-host.ts [flags]

Three processes, each embedding one member (openNode, LevelDB, TCP on loopback),
each writing about 50 puts/s through its own member and blocking its own event
loop for B ms about once a second. Per B: leader changes, failed writes, write
latency (issue → resolve), writes committed; target (issue #15): 0 leader
changes, 0 failed writes, p99 ≤ B + 20 ms.

  --block-ms LIST   block lengths B in ms, one fresh cluster each (default ${FULL.blockMs.join(',')})
  --duration-s S    measured seconds per B (default ${FULL.durationS}; quick ${QUICK.durationS})
  --warmup-s S      unmeasured writes, no blocks, before each window (default ${FULL.warmupS}; quick ${QUICK.warmupS})
  --rate N          puts/s per member process (default ${RATE_HZ})
  --thread MODE     worker|inline: openNode's thread option (issue #15); not passed when absent
  --block KIND      spin (default: burns CPU, like rendering or crypto) or sleep (parks the
                    thread without CPU, like synchronous I/O)
  --quick           a short smoke run: B ∈ {${QUICK.blockMs.join(', ')}}, ${QUICK.durationS} s each
  --results-dir DIR where the JSON and the Markdown table go (default benchmarks/results)
  --help
`;

function number(flag: string, text: string, min: number, max: number, whole: boolean): number {
  const n = Number(text);
  if (
    text.trim() === '' ||
    !Number.isFinite(n) ||
    n < min ||
    n > max ||
    (whole && !Number.isInteger(n))
  )
    throw new FlagError(
      `--${flag} needs a ${whole ? 'whole ' : ''}number in ${min}..${max}, got ${JSON.stringify(text)}`,
    );
  return n;
}

export function parseBusyHostFlags(argv: readonly string[]): BusyHostSettings {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv.filter((a) => a !== '--')); // pnpm passes a separator through
  } catch (err) {
    throw new FlagError(`${(err as Error).message} (see --help)`);
  }
  const v = parsed.values;
  const quick = v.quick === true;
  const base = quick ? QUICK : FULL;
  const thread = v.thread;
  if (thread !== undefined && thread !== 'worker' && thread !== 'inline')
    throw new FlagError(`--thread is worker or inline, got ${JSON.stringify(thread)}`);
  const blockKind = v.block ?? 'spin';
  if (blockKind !== 'spin' && blockKind !== 'sleep')
    throw new FlagError(`--block is spin or sleep, got ${JSON.stringify(blockKind)}`);
  const blockMs =
    v['block-ms'] === undefined
      ? base.blockMs
      : v['block-ms'].split(',').map((b) => number('block-ms', b, 0, BLOCK_MS_MAX, true));
  return {
    mode: quick ? 'quick' : 'full',
    blockMs,
    blockKind,
    durationS:
      v['duration-s'] === undefined
        ? base.durationS
        : number('duration-s', v['duration-s'], 0.1, DURATION_S_MAX, false),
    warmupS:
      v['warmup-s'] === undefined
        ? base.warmupS
        : number('warmup-s', v['warmup-s'], 0, DURATION_S_MAX, false),
    rateHz: v.rate === undefined ? RATE_HZ : number('rate', v.rate, 1, RATE_HZ_MAX, false),
    thread,
    resultsDir: v['results-dir'],
    help: v.help === true,
  };
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      'block-ms': { type: 'string' },
      'duration-s': { type: 'string' },
      'warmup-s': { type: 'string' },
      rate: { type: 'string' },
      thread: { type: 'string' },
      block: { type: 'string' },
      quick: { type: 'boolean' },
      'results-dir': { type: 'string' },
      help: { type: 'boolean' },
    },
  });
}
