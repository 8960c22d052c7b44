// Membership churn: remove one member under load, and re-add it under the
// SAME name (so the same member id) with its data directory kept, at the end
// of the window. The process keeps running while it is out of the
// configuration. Same name matters: every process dials each name through its
// own proxy (`flotilla start --peer-route`), so a re-added member stays behind
// the proxies and later partitions still cut its links. Re-adding a name whose
// data was wiped is unsafe in Raft (the id could vote twice in one term); this
// nemesis never wipes.
import { permutation } from './faults.js';

/** The cluster's membership as the nemesis needs it: member list, remove, add, through one live member's client URL. */
export interface MemberApi {
  /** Names of the voters as member `via` reports them. */
  voters(via: number): Promise<string[]>;
  remove(via: number, victim: number): Promise<void>;
  /** Adds `victim` back as a voter under its name, announcing its real peer URL. */
  add(via: number, victim: number): Promise<void>;
}

/** Voters a removal must leave at least (a one-voter cluster loses its only copy with one crash). */
export const CHURN_VOTERS_MIN = 2;
/** Attempts to re-add a member (at the end of its window, and again at the final heal). */
export const READD_ATTEMPTS_MAX = 5;
export const READD_RETRY_MS = 500;

/** Who a churn window removes (from its pick, the leader for churn-leader) and which other member is asked. */
export function churnPlan(
  n: number,
  pick: number,
  leader: number | undefined,
): { victim: number; via: number } {
  const perm = permutation(n, pick);
  const victim = leader ?? (perm[0] as number);
  const via = perm.find((x) => x !== victim) as number;
  return { victim, via };
}

/** Why a removal must not happen now, or undefined when it may. */
export function refuseRemoval(
  voters: readonly string[],
  victim: string,
  outstanding: string | undefined,
): string | undefined {
  if (outstanding !== undefined)
    return `${outstanding} is still out of the cluster (its re-add has not succeeded)`;
  if (!voters.includes(victim))
    return `${victim} is not a voter (voters: ${voters.join(', ') || 'none'})`;
  if (voters.length - 1 < CHURN_VOTERS_MIN)
    return `removing ${victim} would leave ${voters.length - 1} voter(s), fewer than ${CHURN_VOTERS_MIN}`;
  return undefined;
}

export interface ChurnStep {
  readonly nodes: readonly number[];
  /** What happened, for the report (a failed or timed-out request is written here, not thrown). */
  readonly detail: string;
}

/** One outstanding removal at a time; `readd` is bounded and idempotent (a member already back is left alone). */
export class Churn {
  readonly #api: MemberApi;
  readonly #names: readonly string[];
  readonly #sleep: (ms: number) => Promise<void>;
  /** The node removed (or whose removal's outcome is unknown) and not yet known to be back. */
  #out: number | undefined;

  constructor(
    api: MemberApi,
    names: readonly string[],
    sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {
    this.#api = api;
    this.#names = names;
    this.#sleep = sleep;
  }

  get outstanding(): number | undefined {
    return this.#out;
  }

  #name(i: number): string {
    return this.#names[i] ?? String(i);
  }

  async remove(victim: number, via: number): Promise<ChurnStep> {
    const [v, asked] = [this.#name(victim), this.#name(via)];
    let voters: string[];
    try {
      voters = await this.#api.voters(via);
    } catch (err) {
      return {
        nodes: [],
        detail: `no removal: member list via ${asked} failed (${(err as Error).message})`,
      };
    }
    const refused = refuseRemoval(
      voters,
      v,
      this.#out === undefined ? undefined : this.#name(this.#out),
    );
    if (refused !== undefined) return { nodes: [], detail: `no removal: ${refused}` };
    // From here the outcome may be unknown (a timeout after the leader committed it): re-add checks first.
    this.#out = victim;
    try {
      await this.#api.remove(via, victim);
      return {
        nodes: [victim],
        detail: `removed ${v} via ${asked} (voters were ${voters.join(', ')}); it keeps running`,
      };
    } catch (err) {
      return {
        nodes: [victim],
        detail: `remove ${v} via ${asked} failed or timed out (${(err as Error).message}); treated as possibly removed`,
      };
    }
  }

  /**
   * Re-adds every member missing from the voters (only churn removes members, so each is one of ours),
   * asking the other members in turn, at most `attemptsMax` tries. With `always` false it does nothing
   * unless a removal is outstanding; the final heal passes true, which also catches a removal that timed
   * out here but committed after the window's re-add looked.
   */
  async readd(always = false, attemptsMax = READD_ATTEMPTS_MAX): Promise<string> {
    if (this.#out === undefined && !always) return '';
    const done: string[] = [];
    const errors: string[] = [];
    for (let attempt = 0; attempt < attemptsMax; attempt++) {
      if (attempt > 0) await this.#sleep(READD_RETRY_MS);
      // A member that is in the configuration answers for it; rotate, since the one asked last may be down.
      const candidates = this.#names.map((_, i) => i).filter((i) => i !== this.#out);
      const via = candidates[attempt % candidates.length] as number;
      try {
        const voters = await this.#api.voters(via);
        const missing = this.#names.map((_, i) => i).filter((i) => !voters.includes(this.#name(i)));
        if (missing.length === 0) {
          this.#out = undefined;
          return this.#summary(done, errors, 'every member is a voter');
        }
        for (const m of missing) {
          await this.#api.add(via, m);
          done.push(`re-added ${this.#name(m)} via ${this.#name(via)} (attempt ${attempt + 1})`);
        }
        this.#out = undefined;
        return this.#summary(done, errors, '');
      } catch (err) {
        errors.push(`attempt ${attempt + 1} via ${this.#name(via)}: ${(err as Error).message}`);
      }
    }
    return `re-add FAILED after ${attemptsMax} attempts (${errors.join('; ')}); ${this.#out === undefined ? 'a member' : this.#name(this.#out)} stays out of the cluster`;
  }

  #summary(done: readonly string[], errors: readonly string[], none: string): string {
    const what = done.length > 0 ? done.join(', ') : none;
    return errors.length > 0 ? `${what} (after: ${errors.join('; ')})` : what;
  }
}
