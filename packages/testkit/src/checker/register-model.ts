// A model of one etcd-style key used as a register: read, write (put) and
// compare-and-set (a txn comparing the value or the modRevision, then a put).
// Besides values it checks revisions when the history carries them: a read
// sees the modRevision of the write it sees, and revisions of successive
// writes grow in linearization order.
//
// An unknown write leaves the key's revision unknown, which makes a later
// revision compare ambiguous; the model is therefore nondeterministic and is
// made deterministic the usual way: its state is the set of possible states.

import type { Model } from './model.js';
import type { RegisterOp } from '../history/types.js';

/** One possible state of a key. `modRevision` null: written by an unknown write, revision not observed yet. */
export interface RegisterState {
  readonly value: string | null;
  readonly modRevision: number | null;
}

/** The set of possible states, sorted by key so equal sets have equal keys. */
export type RegisterStates = readonly RegisterState[];

const ABSENT: RegisterState = { value: null, modRevision: 0 };

function keyOf(s: RegisterState): string {
  return JSON.stringify([s.value, s.modRevision]);
}

type Match = 'yes' | 'no' | 'maybe';

function casMatches(s: RegisterState, op: RegisterOp): Match {
  const e = op.expected;
  if (e === undefined) throw new Error(`invariant: cas operation ${op.id} has no expectation`);
  if ('value' in e) return s.value === e.value ? 'yes' : 'no';
  if (s.modRevision === null) return 'maybe';
  return s.modRevision === e.modRevision ? 'yes' : 'no';
}

/** The state after a write of `op.value` that created `revision` (if known), or none if impossible. */
function written(s: RegisterState, op: RegisterOp, revision: number | undefined): RegisterState[] {
  if (revision !== undefined && s.modRevision !== null && revision <= s.modRevision) return [];
  return [{ value: op.value ?? null, modRevision: revision ?? null }];
}

function stepRead(s: RegisterState, op: RegisterOp): RegisterState[] {
  const r = op.result;
  if (op.outcome === 'unknown' || r === undefined) return [s];
  if (r.value !== undefined && r.value !== s.value) return [];
  if (r.modRevision === undefined) return [s];
  if (s.modRevision === null) return [{ value: s.value, modRevision: r.modRevision }];
  return s.modRevision === r.modRevision ? [s] : [];
}

function stepCas(s: RegisterState, op: RegisterOp): RegisterState[] {
  const m = casMatches(s, op);
  const succeeded = op.outcome === 'ok' ? op.result?.succeeded : undefined;
  if (succeeded === true) return m === 'no' ? [] : written(s, op, op.result?.revision);
  if (succeeded === false) return m === 'yes' ? [] : [s];
  // Outcome unknown: it happened iff the compare held.
  if (m === 'yes') return written(s, op, undefined);
  if (m === 'no') return [s];
  return [s, ...written(s, op, undefined)];
}

function stepOne(s: RegisterState, op: RegisterOp): RegisterState[] {
  switch (op.op) {
    case 'read':
      return stepRead(s, op);
    case 'write':
      return written(s, op, op.outcome === 'ok' ? op.result?.revision : undefined);
    case 'cas':
      return stepCas(s, op);
    default: {
      const never: never = op.op;
      throw new Error(`invariant: unknown register operation ${String(never)}`);
    }
  }
}

export function describeRegisterOp(op: RegisterOp): string {
  const what =
    op.op === 'read'
      ? `read ${op.key}`
      : op.op === 'write'
        ? `write ${op.key}=${String(op.value)}`
        : `cas ${op.key} ${JSON.stringify(op.expected)}→${String(op.value)}`;
  const res =
    op.outcome === 'ok'
      ? ` → ${JSON.stringify(op.result ?? {})}`
      : op.error !== undefined
        ? ` (${op.error})`
        : '';
  const end = op.completeTime === Infinity ? '∞' : String(op.completeTime);
  return `#${op.id} p${op.process} ${what} ${op.outcome}${res} [${op.invokeTime}, ${end}]`;
}

/** Register model over etcd-style keys, partitioned per key. */
export const registerModel: Model<RegisterStates, RegisterOp> = {
  name: 'register',
  init: () => [ABSENT],
  step(states, op) {
    const next = new Map<string, RegisterState>();
    for (const s of states) for (const n of stepOne(s, op)) next.set(keyOf(n), n);
    if (next.size === 0) return undefined;
    return [...next.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, s]) => s);
  },
  stateKey: (states) => states.map(keyOf).join(';'),
  isReadOnly: (op) => op.op === 'read',
  partition(history) {
    const parts = new Map<string, RegisterOp[]>();
    for (const op of history) {
      const list = parts.get(op.key);
      if (list === undefined) parts.set(op.key, [op]);
      else list.push(op);
    }
    return parts;
  },
  describe: describeRegisterOp,
};
