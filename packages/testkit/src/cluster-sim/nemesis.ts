// Applies the faults of a schedule to a simulated cluster at their times.
// Faults that need something absent at that moment (no leader for a
// transfer, a node already down) are skipped and noted: under faults that is
// normal, and skipping keeps shrunk schedules replayable.

import type { NodeId } from '@flotilla/raft';
import type { SimCluster } from './cluster.js';
import type { SimRuntime } from './runtime.js';
import { describeFault, type Fault, type ClusterPartitionShape, type Target } from './schedule.js';

export interface NemesisOptions {
  /** Virtual time allowed for a membership change or transfer before it is abandoned. */
  readonly opMsMax: number;
}

function rotate<T>(xs: readonly T[], by: number): T[] {
  if (xs.length === 0) return [];
  const k = by % xs.length;
  return [...xs.slice(k), ...xs.slice(0, k)];
}

export class Nemesis {
  readonly #rt: SimRuntime;
  readonly #cluster: SimCluster;
  readonly #options: NemesisOptions;
  /** Background work (restarts, membership changes) the run must wait for. */
  readonly #pending = new Set<Promise<void>>();
  #churning = false;
  applied = 0;
  skipped = 0;

  constructor(rt: SimRuntime, cluster: SimCluster, options: NemesisOptions) {
    this.#rt = rt;
    this.#cluster = cluster;
    this.#options = options;
  }

  /** Schedules `fault` at absolute virtual time `atMs`. */
  at(atMs: number, fault: Fault): void {
    this.#rt.clock.setTimer(Math.max(0, atMs - this.#rt.now), () =>
      this.#background(() => this.apply(fault), describeFault(fault)),
    );
  }

  /** Resolves when all background fault work has finished. */
  async idle(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all([...this.#pending]);
  }

  hasPending(): boolean {
    return this.#pending.size > 0;
  }

  #background(work: () => Promise<void>, what: string): void {
    const p = work()
      .catch((e: unknown) => {
        this.skipped++;
        this.#cluster.note(
          `${what} skipped: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`,
        );
      })
      .finally(() => this.#pending.delete(p));
    this.#pending.add(p);
  }

  /** A running follower with client requests outstanding (any running follower if none has). */
  #busyFollower(pick: number): NodeId | undefined {
    const leader = this.#cluster.leaderId();
    const followers = this.#cluster.ids().filter((id) => id !== leader && this.#cluster.isUp(id));
    const busy = followers.filter((id) => (this.#cluster.busy.get(id) ?? 0) > 0);
    const from = busy.length > 0 ? busy : followers;
    return from.length === 0 ? undefined : from[pick % from.length];
  }

  #resolve(target: Target): NodeId | undefined {
    const leader = this.#cluster.leaderId();
    if (target.role === 'leader') return leader;
    const ids = this.#cluster.ids().filter((id) => target.role === 'any' || id !== leader);
    return ids.length === 0 ? undefined : ids[target.pick % ids.length];
  }

  async apply(fault: Fault): Promise<void> {
    this.#cluster.note(`fault: ${describeFault(fault)}`);
    this.applied++;
    switch (fault.kind) {
      case 'partition':
        this.#partition(fault.shape, fault.pick);
        return;
      case 'heal':
        this.#cluster.network.faults.heal();
        return;
      case 'crash': {
        const id = this.#resolve(fault.target);
        if (id === undefined || !this.#cluster.isUp(id)) return;
        await this.#cluster.crash(id, fault.tear);
        this.#later(fault.downMs, () => this.#cluster.startNode(id), `restart of node ${id}`);
        return;
      }
      case 'pause': {
        const id = this.#resolve(fault.target);
        if (id === undefined || !this.#cluster.isUp(id)) return;
        this.#cluster.pause(id);
        this.#later(fault.forMs, async () => this.#cluster.resume(id), `resume of node ${id}`);
        return;
      }
      case 'churn': {
        const id = this.#resolve(fault.target);
        if (id === undefined || this.#churning) return;
        this.#churning = true;
        try {
          await this.#cluster.replace(id, this.#options.opMsMax);
        } finally {
          this.#churning = false;
        }
        return;
      }
      case 'transferLeadership': {
        const id = this.#resolve(
          fault.target.role === 'leader'
            ? { role: 'follower', pick: fault.target.pick }
            : fault.target,
        );
        if (id === undefined) return;
        await this.#cluster.transferLeadership(id, this.#options.opMsMax);
        return;
      }
      case 'noise': {
        const faults = this.#cluster.network.faults;
        faults.setDrop(fault.dropP);
        faults.setDuplicate(fault.duplicateP);
        faults.setReorder(fault.reorderP, 30);
        this.#later(
          fault.forMs,
          async () => {
            faults.setDrop(0);
            faults.setDuplicate(0);
            faults.setReorder(0);
          },
          'end of noise',
        );
        return;
      }
      case 'crashBusy': {
        const id = this.#busyFollower(fault.pick);
        if (id === undefined) return;
        const leader = this.#cluster.leaderId();
        if (leader !== undefined && fault.leaderSlowMs > 0) {
          this.#cluster.slowDisk(leader, fault.leaderSlowMs);
          this.#later(
            fault.repeat * (fault.downMs + 200) + 300,
            async () => this.#cluster.slowDisk(leader, 0),
            `end of slow disk on ${leader}`,
          );
        }
        for (let round = 1; round <= fault.repeat; round++) {
          await this.#cluster.crash(id, fault.tear);
          if (round === fault.repeat) break;
          await this.#rt.sleep(fault.downMs);
          await this.#cluster.startNode(id);
          // Crash the new incarnation again once a client request is outstanding on it (or give up).
          if (!(await this.#rt.waitFor(() => (this.#cluster.busy.get(id) ?? 0) > 0, 500, 1)))
            return;
        }
        this.#later(fault.downMs, () => this.#cluster.startNode(id), `restart of node ${id}`);
        return;
      }
      case 'isolateMidAppend': {
        const leader = this.#cluster.leaderId();
        const followers = this.#cluster
          .ids()
          .filter((id) => id !== leader && this.#cluster.isUp(id));
        if (leader === undefined || followers.length < 2) return;
        const keep = followers[fault.pick % followers.length] as NodeId;
        const faults = this.#cluster.network.faults;
        for (const id of followers) if (id !== keep) faults.blockLink(leader, id);
        const before = this.#cluster.node(keep)?.status().lastIndex ?? 0;
        const grew = await this.#rt.waitFor(
          () => (this.#cluster.node(keep)?.status().lastIndex ?? before) > before,
          fault.forMs,
          1,
        );
        if (grew) faults.isolate(leader);
        this.#later(
          grew ? fault.forMs : 0,
          async () => faults.heal(),
          'heal after isolateMidAppend',
        );
        return;
      }
      case 'slowDisk': {
        const id = this.#resolve(fault.target);
        if (id === undefined) return;
        this.#cluster.slowDisk(id, fault.extraMs);
        this.#later(
          fault.forMs,
          async () => this.#cluster.slowDisk(id, 0),
          `end of slow disk on ${id}`,
        );
        return;
      }
      case 'failingDisk': {
        const id = this.#resolve(fault.target);
        if (id === undefined || !this.#cluster.isUp(id)) return;
        this.#cluster.failDisk(id, fault.what, () =>
          this.#later(
            fault.downMs,
            () => this.#cluster.startNode(id),
            `restart of node ${id} after its disk failed`,
          ),
        );
        return;
      }
      default: {
        const never: never = fault;
        throw new Error(`invariant: unknown fault ${JSON.stringify(never)}`);
      }
    }
  }

  #later(delayMs: number, work: () => Promise<void>, what: string): void {
    this.#rt.clock.setTimer(delayMs, () => this.#background(work, what));
  }

  #partition(shape: ClusterPartitionShape, pick: number): void {
    const faults = this.#cluster.network.faults;
    const ids = rotate(this.#cluster.ids(), pick);
    const leader = this.#cluster.leaderId() ?? ids[0];
    faults.heal();
    if (ids.length < 2 || leader === undefined) return;
    switch (shape) {
      case 'halves': {
        const cut = Math.floor(ids.length / 2);
        faults.partition([ids.slice(0, cut), ids.slice(cut)]);
        return;
      }
      case 'isolateLeader':
        faults.isolate(leader);
        return;
      case 'bridge': {
        // ids[0] is the bridge; the rest split in two sides that cannot talk.
        const rest = ids.slice(1);
        const cut = Math.floor(rest.length / 2);
        for (const a of rest.slice(0, cut)) {
          for (const b of rest.slice(cut)) {
            faults.blockLink(a, b);
            faults.blockLink(b, a);
          }
        }
        return;
      }
      case 'leaderDeaf':
        for (const id of ids) if (id !== leader) faults.blockLink(id, leader);
        return;
      case 'oneWayLink':
        faults.blockLink(ids[0] as NodeId, ids[1] as NodeId);
        return;
      default: {
        const never: never = shape;
        throw new Error(`invariant: unknown partition shape ${String(never)}`);
      }
    }
  }
}
