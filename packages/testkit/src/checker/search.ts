// Wing & Gong's linearizability search with Lowe's just-in-time refinement
// and a memo cache of (linearized set, model state), the algorithm Porcupine
// uses. Operations are events on a doubly linked list ordered by time; the
// search linearizes a call if the model accepts it and the resulting
// (set, state) was not explored before, and backtracks when it reaches a
// return whose call was not linearized yet (that operation had to take
// effect before it returned).

import { OpSet } from './bitset.js';
import type { Model } from './model.js';
import type { TimedOp } from '../history/types.js';

export type SearchResult =
  | { readonly verdict: 'ok'; readonly steps: number; readonly linearization: readonly number[] }
  | {
      readonly verdict: 'violation';
      readonly steps: number;
      /** The longest sequence of operation ids the search could linearize. */
      readonly longestLinearization: readonly number[];
      /** Operations that returned before they could be linearized after that sequence. */
      readonly stuckOpIds: readonly number[];
    }
  | { readonly verdict: 'unknown'; readonly steps: number; readonly reason: string };

interface Event {
  readonly isCall: boolean;
  readonly op: number;
  readonly time: number;
  /** call → its return event. */
  match: Event | null;
  prev: Event | null;
  next: Event | null;
}

/** Builds the event list: ties at equal time put calls first (treated as concurrent). */
function buildEvents(ops: readonly TimedOp[]): Event {
  const events: Event[] = [];
  ops.forEach((o, i) => {
    const call: Event = {
      isCall: true,
      op: i,
      time: o.invokeTime,
      match: null,
      prev: null,
      next: null,
    };
    const ret: Event = {
      isCall: false,
      op: i,
      time: o.completeTime,
      match: null,
      prev: null,
      next: null,
    };
    call.match = ret;
    events.push(call, ret);
  });
  events.sort(
    (a, b) => a.time - b.time || (a.isCall === b.isCall ? a.op - b.op : a.isCall ? -1 : 1),
  );
  const head: Event = {
    isCall: false,
    op: -1,
    time: -Infinity,
    match: null,
    prev: null,
    next: null,
  };
  let last = head;
  for (const e of events) {
    last.next = e;
    e.prev = last;
    last = e;
  }
  return head;
}

function unlink(e: Event): void {
  if (e.prev !== null) e.prev.next = e.next;
  if (e.next !== null) e.next.prev = e.prev;
}

function relink(e: Event): void {
  if (e.prev !== null) e.prev.next = e;
  if (e.next !== null) e.next.prev = e;
}

/** Removes a call and its return from the list (reversible, dancing-links style). */
function lift(call: Event): void {
  unlink(call);
  if (call.match !== null) unlink(call.match);
}

function unlift(call: Event): void {
  if (call.match !== null) relink(call.match);
  relink(call);
}

/**
 * Searches for a linearization of `ops` (one partition, failed operations
 * already removed, unknown ones with completeTime Infinity).
 */
export function searchLinearization<S, Op extends TimedOp>(
  model: Model<S, Op>,
  ops: readonly Op[],
  stepsMax: number,
): SearchResult {
  if (ops.length === 0) return { verdict: 'ok', steps: 0, linearization: [] };
  for (const o of ops) {
    if (!(o.completeTime >= o.invokeTime)) {
      throw new Error(
        `invariant: operation ${o.id} completes (${o.completeTime}) before it is invoked (${o.invokeTime})`,
      );
    }
  }
  const head = buildEvents(ops);
  const linearized = new OpSet(ops.length);
  const cache = new Map<string, Uint32Array[]>();
  const stack: { call: Event; state: S }[] = [];
  let state = model.init();
  let entry = head.next;
  let steps = 0;
  let longest: number[] = [];
  const stuck = new Set<number>();

  const remember = (next: S): boolean => {
    const key = `${linearized.hashKey()}|${model.stateKey(next)}`;
    const bucket = cache.get(key);
    if (bucket !== undefined) {
      if (bucket.some((w) => linearized.equalsWords(w))) return false;
      bucket.push(linearized.words.slice());
    } else {
      cache.set(key, [linearized.words.slice()]);
    }
    return true;
  };

  while (head.next !== null) {
    if (++steps > stepsMax) {
      return { verdict: 'unknown', steps, reason: `budget exhausted after ${stepsMax} steps` };
    }
    if (entry === null)
      throw new Error('invariant: the event list ended on a call without its return');
    if (entry.isCall) {
      const op = ops[entry.op] as Op;
      const next = model.step(state, op);
      if (next !== undefined) {
        linearized.toggle(entry.op);
        if (remember(next)) {
          stack.push({ call: entry, state });
          state = next;
          lift(entry);
          if (stack.length > longest.length) {
            longest = stack.map((f) => f.call.op);
            stuck.clear();
          }
          entry = head.next;
          continue;
        }
        linearized.toggle(entry.op);
      }
      entry = entry.next;
    } else {
      // A return whose call is not linearized: backtrack.
      if (stack.length === longest.length) stuck.add(entry.op);
      const frame = stack.pop();
      if (frame === undefined) {
        return {
          verdict: 'violation',
          steps,
          longestLinearization: longest.map((i) => (ops[i] as Op).id),
          stuckOpIds: [...stuck].map((i) => (ops[i] as Op).id),
        };
      }
      state = frame.state;
      linearized.toggle(frame.call.op);
      unlift(frame.call);
      entry = frame.call.next;
    }
  }
  return { verdict: 'ok', steps, linearization: stack.map((f) => (ops[f.call.op] as Op).id) };
}
