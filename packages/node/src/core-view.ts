// What the driver knows of the core, updated by the driver loop from each
// Ready and each apply. The loop holds the one writable CoreState; everything
// else (the node, the driver's helpers) reads it through CoreView, whose
// members are read-only.
import { NONE, type NodeId, type Role } from '@flotilla/raft';

export interface CoreView {
  readonly role: Role;
  /** The leader this node knows of (NONE if none). */
  readonly leader: NodeId;
  readonly term: number;
  readonly commitIndex: number;
  readonly appliedIndex: number;
  /** Term of the entry at the applied index (the snapshot's term if none). */
  readonly appliedTerm: number;
  /** When the applied index last moved (an apply or a snapshot install). */
  readonly appliedAtMs: number;
}

/** The writable state behind CoreView: held and written only by the driver loop. */
export class CoreState implements CoreView {
  role: Role = 'follower';
  leader: NodeId = NONE;
  term: number;
  commitIndex: number;
  appliedIndex: number;
  appliedTerm: number;
  appliedAtMs: number;

  constructor(start: {
    term: number;
    commitIndex: number;
    appliedIndex: number;
    appliedTerm: number;
    appliedAtMs: number;
  }) {
    this.term = start.term;
    this.commitIndex = start.commitIndex;
    this.appliedIndex = start.appliedIndex;
    this.appliedTerm = start.appliedTerm;
    this.appliedAtMs = start.appliedAtMs;
  }
}
