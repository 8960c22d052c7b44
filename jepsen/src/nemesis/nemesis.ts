// Applies a fault schedule to a running target on the wall clock and records
// what it actually did (which nodes, when), for the report. heal() undoes
// everything: network healed, paused processes continued, killed ones restarted,
// and nodes running with a skewed clock or slow disk restarted without them,
// and a member removed by churn added back.
import { currentLeader } from '../cluster/health.js';
import type { Target } from '../cluster/target.js';
import { partitionLinks, victims, type FaultKind, type FaultWindow } from './faults.js';
import { isRestartFault, restartFault } from './restart-faults.js';
import { Churn, churnPlan, type MemberApi } from './churn.js';

/** How long a SIGTERM'd node may take to stop before it is SIGKILLed (a clean close flushes LevelDB: well under this). */
const STOP_TIMEOUT_MS = 5_000;

export interface AppliedFault {
  readonly kind: FaultKind;
  readonly startMs: number;
  endMs: number;
  readonly nodes: readonly string[];
  /** What was done; a churn window's re-add outcome is appended when it heals. */
  detail: string;
}

export class Nemesis {
  readonly #target: Target;
  readonly #now: () => number;
  readonly applied: AppliedFault[] = [];
  readonly #paused = new Set<number>();
  readonly #killed = new Set<number>();
  /** Nodes running with TEST ONLY fault flags, to restart plainly at heal. */
  readonly #faulty = new Set<number>();

  /** Present when the target supports membership changes (the churn nemesis). */
  readonly #churn: Churn | undefined;

  constructor(target: Target, now: () => number, members?: MemberApi) {
    this.#target = target;
    this.#now = now;
    this.#churn = members ? new Churn(members, target.names) : undefined;
  }

  /** Runs the schedule; resolves after the last window has been healed. */
  async run(schedule: readonly FaultWindow[], aborted: () => boolean): Promise<void> {
    for (const w of schedule) {
      if (aborted()) return;
      await waitUntil(this.#now, w.startMs);
      const fault = await this.#apply(w);
      await waitUntil(this.#now, w.endMs);
      const readd = await this.heal();
      if (readd !== '') fault.detail += `; at heal: ${readd}`;
      fault.endMs = this.#now();
    }
  }

  async #apply(w: FaultWindow): Promise<AppliedFault> {
    const t = this.#target;
    const leaderNow = await currentLeader(t);
    const leader = leaderNow ?? w.pick % t.size;
    const leaderNote = leaderNow === undefined ? ' (no leader known: a node picked instead)' : '';
    const name = (i: number): string => t.names[i] ?? String(i);
    let nodes: number[];
    let detail: string;
    if (w.kind.startsWith('partition')) {
      const links = partitionLinks(w.kind, t.size, w.pick, leader);
      t.network.block(links);
      nodes = [...new Set(links.flat())];
      detail = `blocked ${links.map(([a, b]) => `${name(a)}→${name(b)}`).join(' ')}${leaderNote}`;
    } else if (w.kind.startsWith('churn')) {
      if (!this.#churn)
        throw new RangeError(`${w.kind} needs a target with membership changes (Flotilla)`);
      const plan = churnPlan(t.size, w.pick, w.kind === 'churn-leader' ? leader : undefined);
      const step = await this.#churn.remove(plan.victim, plan.via);
      nodes = [...step.nodes];
      detail = `${step.detail}${w.kind === 'churn-leader' ? leaderNote : ''}`;
    } else if (isRestartFault(w.kind)) {
      nodes = victims(w.kind, t.size, w.pick, leader);
      const f = restartFault(w.kind, w.pick);
      for (const v of nodes) {
        await this.#stop(v, f.stopSignal);
        t.start(v, f.args);
        this.#faulty.add(v);
      }
      detail = `${f.stopSignal} + restart ${nodes.map(name).join(', ')} with ${f.detail}${leaderNote}`;
    } else {
      nodes = victims(w.kind, t.size, w.pick, leader);
      const signal = w.kind.startsWith('kill') ? 'SIGKILL' : 'SIGSTOP';
      for (const v of nodes) {
        await t.signal(v, signal);
        (signal === 'SIGKILL' ? this.#killed : this.#paused).add(v);
      }
      detail = `${signal} ${nodes.map(name).join(', ')}${leaderNote}`;
    }
    const fault: AppliedFault = {
      kind: w.kind,
      startMs: this.#now(),
      endMs: Infinity,
      nodes: nodes.map(name),
      detail,
    };
    this.applied.push(fault);
    return fault;
  }

  /**
   * Undoes every fault; returns what re-adding churned members did ('' if nothing). `final` (the run's
   * last heal, before the final reads) re-adds any member missing from the voters, not only the outstanding one.
   */
  async heal(final = false): Promise<string> {
    const t = this.#target;
    t.network.heal();
    for (const p of this.#paused) await t.signal(p, 'SIGCONT');
    this.#paused.clear();
    for (const k of this.#killed) t.start(k);
    this.#killed.clear();
    for (const f of this.#faulty) {
      await this.#stop(f, 'SIGTERM');
      t.start(f);
    }
    this.#faulty.clear();
    // Last, so every member is running and reachable when the re-add is proposed.
    return (await this.#churn?.readd(final)) ?? '';
  }

  /** Stops a node with the signal; a SIGTERM that does not end it within STOP_TIMEOUT_MS is followed by SIGKILL. */
  async #stop(node: number, signal: 'SIGTERM' | 'SIGKILL'): Promise<void> {
    const t = this.#target;
    if (signal === 'SIGKILL') return t.signal(node, 'SIGKILL');
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>(
      (r) => (timer = setTimeout(() => r(true), STOP_TIMEOUT_MS)),
    );
    const late = await Promise.race([t.signal(node, 'SIGTERM').then(() => false), timedOut]);
    clearTimeout(timer);
    if (late) await t.signal(node, 'SIGKILL');
  }
}

async function waitUntil(now: () => number, atMs: number): Promise<void> {
  const wait = atMs - now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
}
