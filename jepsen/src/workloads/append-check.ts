// The list-append checker, in the spirit of Elle: every appended value is
// unique, so each key's final list gives that key's version order, and each
// read names the exact version it saw. From that, dependency edges between
// transactions: ww (next append to a key), wr (a read saw an append as the
// last element), rw (a read missed the next append), and real-time edges
// (one finished before the other began). Strict serializability holds iff
// the graph is acyclic; a cycle is reported with its edges. Also checked
// directly: reads are prefixes of the final list, no acknowledged append is
// lost, no failed or never-attempted append is visible, no duplicates, and a
// transaction of unknown outcome is all-or-nothing.

export type MicroOp =
  | { readonly f: 'r'; readonly k: string; readonly v: readonly string[] | undefined }
  | { readonly f: 'append'; readonly k: string; readonly v: string };

export interface AppendTxn {
  readonly id: number;
  readonly lane: string;
  readonly invokeMs: number;
  readonly completeMs: number;
  readonly outcome: 'ok' | 'fail' | 'unknown';
  readonly mops: readonly MicroOp[];
}

export type EdgeKind = 'ww' | 'wr' | 'rw' | 'realtime';

export interface AppendCheck {
  readonly anomalies: string[];
  readonly cycles: number;
  readonly committed: number;
  readonly edges: number;
}

export function checkAppend(
  txns: readonly AppendTxn[],
  finals: ReadonlyMap<string, readonly string[]>,
): AppendCheck {
  const anomalies: string[] = [];
  const writer = new Map<string, AppendTxn>();
  for (const t of txns) for (const m of t.mops) if (m.f === 'append') writer.set(m.v, t);
  const present = new Set<string>();
  for (const [k, list] of finals) {
    const seen = new Set<string>();
    for (const v of list) {
      if (seen.has(v)) anomalies.push(`${k}: ${v} appears twice in the final list`);
      seen.add(v);
      present.add(v);
      const w = writer.get(v);
      if (!w) anomalies.push(`${k}: ${v} was never appended`);
      else if (w.outcome === 'fail')
        anomalies.push(
          `${k}: ${v} comes from transaction ${w.id}, which failed (aborted write visible)`,
        );
    }
  }
  // Committed: acknowledged ones, and unknown ones whose appends took effect.
  const committed: AppendTxn[] = [];
  for (const t of txns) {
    const appends = t.mops.filter((m) => m.f === 'append');
    const visible = appends.filter((m) => present.has(m.v as string)).length;
    if (t.outcome === 'ok') {
      committed.push(t);
      for (const m of appends)
        if (!present.has(m.v as string))
          anomalies.push(
            `lost: transaction ${t.id} (${t.lane}) was acknowledged but its append of ${m.v as string} to ${m.k} is not in the final list`,
          );
    } else if (t.outcome === 'unknown' && visible > 0) {
      if (visible < appends.length)
        anomalies.push(
          `transaction ${t.id} took effect only in part (${visible} of ${appends.length} appends visible)`,
        );
      committed.push(t);
    }
  }
  const edges = new Map<number, Map<number, EdgeKind>>();
  let edgeCount = 0;
  const edge = (a: AppendTxn | undefined, b: AppendTxn | undefined, kind: EdgeKind): void => {
    if (!a || !b || a === b) return;
    const out = edges.get(a.id) ?? new Map<number, EdgeKind>();
    edges.set(a.id, out);
    if (!out.has(b.id)) edgeCount++;
    if (!out.has(b.id) || kind !== 'realtime') out.set(b.id, kind);
  };
  for (const list of finals.values())
    for (let i = 1; i < list.length; i++)
      edge(writer.get(list[i - 1] as string), writer.get(list[i] as string), 'ww');
  for (const t of committed) {
    if (t.outcome !== 'ok') continue; // an unknown transaction's reads were never seen
    for (const m of t.mops) {
      if (m.f !== 'r' || m.v === undefined) continue;
      const final = finals.get(m.k) ?? [];
      const isPrefix = m.v.length <= final.length && m.v.every((v, i) => final[i] === v);
      if (!isPrefix) {
        anomalies.push(
          `transaction ${t.id} (${t.lane}) read ${m.k} = [${m.v.join(' ')}], not a prefix of the final [${final.join(' ')}] (incompatible order)`,
        );
        continue;
      }
      const last = m.v[m.v.length - 1];
      if (last !== undefined) edge(writer.get(last), t, 'wr');
      const next = final[m.v.length];
      if (next !== undefined) edge(t, writer.get(next), 'rw');
    }
  }
  addRealtimeEdges(committed, edge);
  const byId = new Map(committed.map((t) => [t.id, t]));
  const cycles = findCycles(
    committed.map((t) => t.id),
    edges,
  );
  for (const cycle of cycles.slice(0, 10)) {
    const steps = cycle.map((id, i) => {
      const next = cycle[(i + 1) % cycle.length] as number;
      const t = byId.get(id);
      return `T${id} (${t?.lane ?? '?'}: ${describeMops(t?.mops ?? [])}) -${edges.get(id)?.get(next) ?? '?'}→`;
    });
    anomalies.push(
      `dependency cycle (${classify(cycle, edges)}): ${steps.join(' ')} T${cycle[0] as number}`,
    );
  }
  return { anomalies, cycles: cycles.length, committed: committed.length, edges: edgeCount };
}

/**
 * Real-time order without quadratic edges: for each transaction T, let M be
 * the one that completed last before T began; everything that completed
 * before M began already precedes M, so only those completing between M's
 * start and T's start need a direct edge to T (plus M itself).
 */
function addRealtimeEdges(
  txns: readonly AppendTxn[],
  edge: (a: AppendTxn, b: AppendTxn, kind: EdgeKind) => void,
): void {
  const byComplete = [...txns].sort((a, b) => a.completeMs - b.completeMs);
  for (const t of txns) {
    let lo = 0;
    let hi = byComplete.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((byComplete[mid] as AppendTxn).completeMs < t.invokeMs) lo = mid + 1;
      else hi = mid;
    }
    const m = byComplete[lo - 1];
    if (!m) continue;
    for (let i = lo - 1; i >= 0; i--) {
      const p = byComplete[i] as AppendTxn;
      if (p.completeMs < m.invokeMs) break;
      edge(p, t, 'realtime');
    }
  }
}

/** One cycle per strongly connected component with more than one node (Tarjan, iterative). */
export function findCycles(
  nodes: readonly number[],
  edges: ReadonlyMap<number, ReadonlyMap<number, EdgeKind>>,
): number[][] {
  const index = new Map<number, number>();
  const low = new Map<number, number>();
  const onStack = new Set<number>();
  const stack: number[] = [];
  const components: number[][] = [];
  let counter = 0;
  for (const root of nodes) {
    if (index.has(root)) continue;
    const work: { v: number; it: Iterator<number> }[] = [];
    const enter = (v: number): void => {
      index.set(v, counter);
      low.set(v, counter++);
      stack.push(v);
      onStack.add(v);
      work.push({ v, it: (edges.get(v) ?? new Map<number, EdgeKind>()).keys() });
    };
    enter(root);
    while (work.length > 0) {
      const top = work[work.length - 1] as { v: number; it: Iterator<number> };
      const n = top.it.next();
      if (!n.done) {
        const w = n.value;
        if (!index.has(w)) enter(w);
        else if (onStack.has(w))
          low.set(top.v, Math.min(low.get(top.v) as number, index.get(w) as number));
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent)
        low.set(parent.v, Math.min(low.get(parent.v) as number, low.get(top.v) as number));
      if (low.get(top.v) === index.get(top.v)) {
        const comp: number[] = [];
        let w: number;
        do {
          w = stack.pop() as number;
          onStack.delete(w);
          comp.push(w);
        } while (w !== top.v);
        if (comp.length > 1) components.push(comp);
      }
    }
  }
  return components.map((comp) => cycleWithin(comp, edges));
}

/** A shortest cycle through the component's first node (BFS inside the component). */
function cycleWithin(
  comp: readonly number[],
  edges: ReadonlyMap<number, ReadonlyMap<number, EdgeKind>>,
): number[] {
  const members = new Set(comp);
  const start = comp[0] as number;
  const parent = new Map<number, number>();
  const queue = [start];
  for (let i = 0; i < queue.length; i++) {
    const v = queue[i] as number;
    for (const w of edges.get(v)?.keys() ?? []) {
      if (!members.has(w)) continue;
      if (w === start) {
        const path = [v];
        while (path[0] !== start) path.unshift(parent.get(path[0] as number) as number);
        return path;
      }
      if (!parent.has(w)) {
        parent.set(w, v);
        queue.push(w);
      }
    }
  }
  return [...comp];
}

function classify(
  cycle: readonly number[],
  edges: ReadonlyMap<number, ReadonlyMap<number, EdgeKind>>,
): string {
  const kinds = new Set(
    cycle.map((id, i) => edges.get(id)?.get(cycle[(i + 1) % cycle.length] as number)),
  );
  if (kinds.has('realtime') && ![...kinds].some((k) => k === 'rw'))
    return kinds.size === 1 ? 'real-time order' : 'G-single/real-time (strict serializability)';
  if (kinds.has('rw')) return kinds.has('realtime') ? 'G2 with real time' : 'G2 (anti-dependency)';
  if (kinds.has('wr')) return 'G1c (circular information flow)';
  return 'G0 (write cycle)';
}

export function describeMops(mops: readonly MicroOp[]): string {
  return mops
    .map((m) =>
      m.f === 'append'
        ? `append ${m.k} ${m.v}`
        : `r ${m.k} ${m.v === undefined ? '?' : `[${m.v.join(' ')}]`}`,
    )
    .join(', ');
}
