// A deliberately naive reference model of the state machine: full history in
// an array, state at a revision by replay, no index, no storage. The
// model-based and watch property tests check the real thing against it.

export interface MKv {
  key: string;
  value: string;
  createRevision: number;
  modRevision: number;
  version: number;
  lease: number;
}

export interface MChange {
  rev: number;
  sub: number;
  key: string;
  kv: MKv | undefined;
  prevKv: MKv | undefined;
}

export type MRange = {
  key: string;
  end?: string;
  revision?: number;
  limit?: number;
  sortOrder?: 'NONE' | 'ASCEND' | 'DESCEND';
  sortTarget?: 'KEY' | 'VERSION' | 'CREATE' | 'MOD' | 'VALUE';
  keysOnly?: boolean;
  countOnly?: boolean;
};
export type MCompare = {
  target: 'VERSION' | 'CREATE' | 'MOD' | 'VALUE' | 'LEASE';
  result: 'EQUAL' | 'NOT_EQUAL' | 'GREATER' | 'LESS';
  key: string;
  end?: string;
  n: number;
  value: string;
};
export type MOp =
  | {
      t: 'put';
      key: string;
      value: string;
      lease: number;
      prevKv: boolean;
      ignoreValue: boolean;
      ignoreLease: boolean;
    }
  | { t: 'del'; key: string; end?: string; prevKv: boolean }
  | { t: 'range'; range: MRange }
  | { t: 'txn'; compare: MCompare[]; success: MOp[]; failure: MOp[] };
export type MCommand =
  | MOp
  | { t: 'compact'; revision: number }
  | { t: 'grant'; id: number; ttl: number }
  | { t: 'revoke'; id: number }
  | { t: 'expire'; ids: number[] };

export class ModelError extends Error {
  constructor(readonly kind: string) {
    super(kind);
  }
}

/** `end` undefined: single key; '\0': unbounded. */
export function inRange(key: string, start: string, end: string | undefined): boolean {
  if (end === undefined) return key === start;
  if (end === '\0') return key >= start;
  return key >= start && key < end;
}

function cmpStr(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export class Model {
  revision = 1;
  compactRevision = 0;
  readonly history: MChange[] = [];
  live = new Map<string, MKv>();
  leases = new Map<number, number>();

  stateAt(rev: number): Map<string, MKv> {
    if (rev === this.revision) return this.live;
    const state = new Map<string, MKv>();
    for (const c of this.history) {
      if (c.rev > rev) break;
      if (c.kv) state.set(c.key, c.kv);
      else state.delete(c.key);
    }
    return state;
  }

  range(r: MRange, working?: Map<string, MKv>): unknown {
    let state: Map<string, MKv>;
    if (working && !r.revision) state = working;
    else {
      const rev = r.revision || this.revision;
      if (rev > this.revision) throw new ModelError('FutureRevisionError');
      if (rev < this.compactRevision) throw new ModelError('CompactedError');
      state = this.stateAt(rev);
    }
    const all = [...state.values()]
      .filter((kv) => inRange(kv.key, r.key, r.end))
      .sort((a, b) => cmpStr(a.key, b.key));
    const count = all.length;
    if (r.countOnly) return { kvs: [], more: false, count };
    let order = r.sortOrder ?? 'NONE';
    let target = r.sortTarget ?? 'KEY';
    if (order === 'NONE' && target !== 'KEY') order = 'ASCEND';
    if (order === 'NONE') target = 'KEY';
    const field = (kv: MKv): number | string =>
      target === 'VERSION'
        ? kv.version
        : target === 'CREATE'
          ? kv.createRevision
          : target === 'MOD'
            ? kv.modRevision
            : target === 'VALUE'
              ? kv.value
              : kv.key;
    if (target !== 'KEY')
      all.sort((a, b) => {
        const x = field(a);
        const y = field(b);
        return x < y ? -1 : x > y ? 1 : 0;
      });
    if (order === 'DESCEND') all.reverse();
    const kvs = all
      .slice(0, r.limit || Infinity)
      .map((kv) => (r.keysOnly ? { ...kv, value: '' } : kv));
    return { kvs, more: kvs.length < count, count };
  }

  private compareOk(c: MCompare): boolean {
    const keys = [...this.live.values()].filter((kv) => inRange(kv.key, c.key, c.end));
    const test = (kv: MKv | undefined): boolean => {
      if (c.target === 'VALUE' && !kv) return false;
      const a: number | string =
        c.target === 'VALUE'
          ? kv!.value
          : kv
            ? c.target === 'VERSION'
              ? kv.version
              : c.target === 'CREATE'
                ? kv.createRevision
                : c.target === 'MOD'
                  ? kv.modRevision
                  : kv.lease
            : 0;
      const b: number | string = c.target === 'VALUE' ? c.value : c.n;
      const d = a < b ? -1 : a > b ? 1 : 0;
      return c.result === 'EQUAL'
        ? d === 0
        : c.result === 'NOT_EQUAL'
          ? d !== 0
          : c.result === 'GREATER'
            ? d > 0
            : d < 0;
    };
    return keys.length === 0 ? test(undefined) : keys.every(test);
  }

  /** Applies one command; returns its response (model shape) or throws ModelError. */
  apply(cmd: MCommand, index: number): unknown {
    switch (cmd.t) {
      case 'compact': {
        if (cmd.revision > this.revision) throw new ModelError('FutureRevisionError');
        if (cmd.revision <= this.compactRevision) throw new ModelError('CompactedError');
        this.compactRevision = cmd.revision;
        return { revision: this.revision };
      }
      case 'grant': {
        let id = cmd.id;
        if (id === 0) for (id = index; this.leases.has(id); id++);
        else if (this.leases.has(id)) throw new ModelError('LeaseExistsError');
        this.leases.set(id, cmd.ttl);
        return { revision: this.revision, id, ttl: cmd.ttl };
      }
      case 'revoke':
        if (!this.leases.has(cmd.id)) throw new ModelError('LeaseNotFoundError');
        this.revokeOne(cmd.id);
        return { revision: this.revision };
      case 'expire': {
        const revoked: number[] = [];
        for (const id of cmd.ids) {
          if (!this.leases.has(id)) continue;
          this.revokeOne(id);
          revoked.push(id);
        }
        return { revision: this.revision, revoked };
      }
      default:
        return this.write(cmd);
    }
  }

  private revokeOne(id: number): void {
    const keys = [...this.live.values()]
      .filter((kv) => kv.lease === id)
      .map((kv) => kv.key)
      .sort(cmpStr);
    const w = new Map(this.live);
    const changes: MChange[] = [];
    for (const key of keys) {
      changes.push({
        rev: this.revision + 1,
        sub: changes.length,
        key,
        kv: undefined,
        prevKv: w.get(key),
      });
      w.delete(key);
    }
    this.commit(w, changes);
    this.leases.delete(id);
  }

  private commit(w: Map<string, MKv>, changes: MChange[]): void {
    if (changes.length === 0) return;
    this.revision++;
    this.live = w;
    this.history.push(...changes);
  }

  private write(op: MOp): unknown {
    const w = new Map(this.live);
    const changes: MChange[] = [];
    const touched = new Set<string>();
    const response = this.exec(op, w, changes, touched);
    this.commit(w, changes);
    return { revision: this.revision, response };
  }

  private exec(op: MOp, w: Map<string, MKv>, changes: MChange[], touched: Set<string>): unknown {
    const rev = this.revision + 1;
    const touch = (key: string): void => {
      if (touched.has(key)) throw new ModelError('InvalidRequestError');
      touched.add(key);
    };
    switch (op.t) {
      case 'put': {
        const cur = w.get(op.key);
        if (!cur && (op.ignoreValue || op.ignoreLease)) throw new ModelError('KeyNotFoundError');
        const lease = op.ignoreLease ? cur!.lease : op.lease;
        if (lease !== 0 && !this.leases.has(lease)) throw new ModelError('LeaseNotFoundError');
        touch(op.key);
        const kv: MKv = {
          key: op.key,
          value: op.ignoreValue ? cur!.value : op.value,
          createRevision: cur ? cur.createRevision : rev,
          modRevision: rev,
          version: cur ? cur.version + 1 : 1,
          lease,
        };
        changes.push({ rev, sub: changes.length, key: op.key, kv, prevKv: cur });
        w.set(op.key, kv);
        return op.prevKv && cur ? { prevKv: cur } : {};
      }
      case 'del': {
        const hit = [...w.values()]
          .filter((kv) => inRange(kv.key, op.key, op.end))
          .sort((a, b) => cmpStr(a.key, b.key));
        for (const kv of hit) {
          touch(kv.key);
          changes.push({ rev, sub: changes.length, key: kv.key, kv: undefined, prevKv: kv });
          w.delete(kv.key);
        }
        return { deleted: hit.length, prevKvs: op.prevKv ? hit : [] };
      }
      case 'range':
        return this.range(op.range, w);
      case 'txn': {
        const path = this.choose(op);
        return this.runPath(op, path, w, changes, touched);
      }
    }
  }

  private choose(op: Extract<MOp, { t: 'txn' }>): {
    ok: boolean;
    nested: ReturnType<Model['choose']>[];
  } {
    const ok = op.compare.every((c) => this.compareOk(c));
    const nested = (ok ? op.success : op.failure)
      .filter((o): o is Extract<MOp, { t: 'txn' }> => o.t === 'txn')
      .map((o) => this.choose(o));
    return { ok, nested };
  }

  private runPath(
    op: Extract<MOp, { t: 'txn' }>,
    path: ReturnType<Model['choose']>,
    w: Map<string, MKv>,
    changes: MChange[],
    touched: Set<string>,
  ): unknown {
    let n = 0;
    const responses = (path.ok ? op.success : op.failure).map((o) =>
      o.t === 'txn'
        ? this.runPath(o, path.nested[n++]!, w, changes, touched)
        : this.exec(o, w, changes, touched),
    );
    return { succeeded: path.ok, responses };
  }

  /** Events a watcher should see: changes from `start` in the range, filtered. */
  events(
    start: number,
    key: string,
    end: string | undefined,
    noPut: boolean,
    noDelete: boolean,
  ): MChange[] {
    return this.history.filter(
      (c) => c.rev >= start && inRange(c.key, key, end) && !(noPut && c.kv) && !(noDelete && !c.kv),
    );
  }
}
