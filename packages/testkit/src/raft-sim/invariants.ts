// The Raft safety invariants, checked incrementally from observations the
// harness feeds in after every event. Nothing here knows about the simulator:
// any driver that can report what its nodes persist, apply and believe (the
// whole-node simulator, a real cluster's logs) can feed the same checker.
//
// Each violation throws SafetyViolationError at the observation that shows it.
import type { Entry, NodeId, Role } from '@flotilla/raft';
import { CHAIN_START, chainNext, entryKey } from './entry-key.js';
import { SafetyViolationError } from './errors.js';
import type { LogView } from './log-mirror.js';

/** A node's volatile state right after an event. */
export interface NodeStateObservation {
  readonly node: NodeId;
  /** Bumped on every restart: commit may restart lower after a crash (unsynced commit advances are lost). */
  readonly incarnation: number;
  readonly term: number;
  readonly role: Role;
  readonly commit: number;
}

interface CommittedEntry {
  readonly key: string;
  /** The observer's term when first applied: ≥ the term the entry was committed in. */
  readonly seenTerm: number;
}

interface ApplyCursor {
  readonly incarnation: number;
  index: number;
  chain: number;
}

export class RaftInvariantChecker {
  private readonly leaderOfTerm = new Map<number, NodeId>();
  /** (index, term) → key and the term of the entry before it: enough to prove log matching by induction. */
  private readonly written = new Map<string, { key: string; prevTerm: number }>();
  private readonly committed = new Map<number, CommittedEntry>();
  private readonly chainAt = new Map<number, number>([[0, CHAIN_START]]);
  private readonly lastCommit = new Map<NodeId, { incarnation: number; commit: number }>();
  private readonly applyCursor = new Map<NodeId, ApplyCursor>();
  private readonly readFloor = new Map<string, number>();
  private maxCommitSeen = 0;

  /** Election safety and monotonic commit (within one incarnation of a node). */
  observeState(o: NodeStateObservation): void {
    if (o.role === 'leader') {
      const other = this.leaderOfTerm.get(o.term);
      if (other === undefined) this.leaderOfTerm.set(o.term, o.node);
      else if (other !== o.node) {
        throw new SafetyViolationError(
          'electionSafety',
          `nodes ${other} and ${o.node} were both leader of term ${o.term}`,
        );
      }
    }
    const last = this.lastCommit.get(o.node);
    if (last !== undefined && last.incarnation === o.incarnation && o.commit < last.commit) {
      throw new SafetyViolationError(
        'commitMonotonic',
        `node ${o.node} commit went back from ${last.commit} to ${o.commit}`,
      );
    }
    this.lastCommit.set(o.node, { incarnation: o.incarnation, commit: o.commit });
    if (o.commit > this.maxCommitSeen) this.maxCommitSeen = o.commit;
  }

  /**
   * Log matching: `entries` were written to `node`'s log right after an entry
   * of term `prevTerm`. If (index, term) always names the same content and the
   * same predecessor term, two logs sharing an (index, term) share the whole prefix.
   */
  observeAppend(node: NodeId, prevTerm: number, entries: readonly Entry[]): void {
    let before = prevTerm;
    for (const e of entries) {
      const id = `${e.index}@${e.term}`;
      const key = entryKey(e);
      const seen = this.written.get(id);
      if (seen === undefined) this.written.set(id, { key, prevTerm: before });
      else if (seen.key !== key || seen.prevTerm !== before) {
        throw new SafetyViolationError(
          'logMatching',
          `node ${node} wrote entry ${id} as ${key} after term ${before}; another log has it as ${seen.key} after term ${seen.prevTerm}`,
        );
      }
      before = e.term;
    }
  }

  /**
   * Leader completeness: every entry committed in a term before `term` is in
   * the log of `term`'s leader (or below its compaction point). Call it once
   * the leader's whole log is visible in `log`.
   */
  checkLeaderLog(node: NodeId, term: number, log: LogView): void {
    for (const [index, c] of this.committed) {
      if (c.seenTerm >= term || index <= log.snapIndex) continue;
      const key = log.key(index);
      if (key !== c.key) {
        throw new SafetyViolationError(
          'leaderCompleteness',
          `leader ${node} of term ${term} has ${key ?? 'nothing'} at ${index}, but ${c.key} was committed there by term ${c.seenTerm}`,
        );
      }
    }
  }

  /** State machine safety: every node applies the same entry at each index, in order, without gaps. */
  observeApply(node: NodeId, incarnation: number, term: number, e: Entry): void {
    const cursor = this.cursorOf(node, incarnation);
    if (e.index !== cursor.index + 1) {
      throw new SafetyViolationError(
        'stateMachineSafety',
        `node ${node} applied ${e.index} right after ${cursor.index}`,
      );
    }
    const key = entryKey(e);
    const known = this.committed.get(e.index);
    if (known === undefined) this.committed.set(e.index, { key, seenTerm: term });
    else if (known.key !== key) {
      throw new SafetyViolationError(
        'stateMachineSafety',
        `node ${node} applied ${key} at ${e.index}; another node applied ${known.key}`,
      );
    }
    cursor.index = e.index;
    cursor.chain = chainNext(cursor.chain, key);
    this.checkChain(node, cursor.index, cursor.chain);
  }

  /**
   * The node's state machine now holds the applied prefix up to `index`, with
   * chain value `chain`: after installing a snapshot or restarting from one.
   */
  observeStateMachineReset(node: NodeId, incarnation: number, index: number, chain: number): void {
    this.checkChain(node, index, chain);
    this.applyCursor.set(node, { incarnation, index, chain });
  }

  /** The chain value of the applied prefix up to `index`, as first applied anywhere (undefined if not applied yet). */
  chainAtIndex(index: number): number | undefined {
    return this.chainAt.get(index);
  }

  /** The key of the entry applied at `index`, if any node applied it. */
  committedKey(index: number): string | undefined {
    return this.committed.get(index)?.key;
  }

  /** A linearizable read was requested now: its read index must cover every commit already known. */
  observeReadRequest(context: string): void {
    this.readFloor.set(context, this.maxCommitSeen);
  }

  /** The core answered read `context` with `index`. */
  observeReadState(node: NodeId, context: string, index: number): void {
    const floor = this.readFloor.get(context);
    if (floor !== undefined && index < floor) {
      throw new SafetyViolationError(
        'readIndexSafety',
        `node ${node} got read index ${index} for ${context}, below commit ${floor} known when the read began`,
      );
    }
  }

  private cursorOf(node: NodeId, incarnation: number): ApplyCursor {
    const c = this.applyCursor.get(node);
    if (c !== undefined && c.incarnation === incarnation) return c;
    // A node applying without a reset first starts from an empty state machine.
    const fresh = { incarnation, index: 0, chain: CHAIN_START };
    this.applyCursor.set(node, fresh);
    return fresh;
  }

  private checkChain(node: NodeId, index: number, chain: number): void {
    const known = this.chainAt.get(index);
    if (known === undefined) this.chainAt.set(index, chain);
    else if (known !== chain) {
      throw new SafetyViolationError(
        'stateMachineSafety',
        `node ${node}'s state machine at ${index} differs from what others applied up to ${index}`,
      );
    }
  }
}
