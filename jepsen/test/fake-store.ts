// An in-memory store behind the KV interface, just enough for the register
// and lease-lock workloads (range, put, txn with CREATE/VALUE compares, leases
// on an injected clock), with switches that break it the way a faulty cluster
// would. The workloads run against it on fake timers, so a test shows their
// checkers catching what the switch breaks, and passing when nothing is.
import type { KV } from '@flotilla/client';
import { LeaseNotFoundError } from '@flotilla/kv';
import type { Target } from '../src/cluster/target.js';

export interface FakeStoreFaults {
  /** Lease reads answer with the value before the latest write (a leader serving from a lease it no longer holds). */
  readonly staleLeaseReads?: boolean;
  /**
   * Keep-alives answer as if they renewed, but the lease runs out TTL after its
   * grant (a deposed leader renewing on its own while the real one expires it).
   */
  readonly keepAliveDoesNotRenew?: boolean;
}

interface Entry {
  value: string;
  previous: { value: string; modRevision: number } | undefined;
  createRevision: number;
  modRevision: number;
  lease: number;
}

const text = (b: unknown): string =>
  typeof b === 'string' ? b : new TextDecoder().decode(b as Uint8Array);

export class FakeStore {
  readonly consistencies: string[] = [];
  private readonly keys = new Map<string, Entry>();
  private readonly leases = new Map<number, { ttlS: number; deadlineMs: number }>();
  private readonly grantedTtlS = new Map<number, number>();
  private revision = 1;
  private nextLease = 1;

  constructor(
    private readonly now: () => number,
    private readonly faults: FakeStoreFaults = {},
  ) {}

  /** A Target of `size` nodes whose clients all reach this store. */
  target(size: number): Target {
    return {
      kind: 'flotilla',
      size,
      names: Array.from({ length: size }, (_, i) => `n${i + 1}`),
      client: () => this.kv(),
    } as unknown as Target;
  }

  private expire(): void {
    for (const [id, l] of this.leases) if (l.deadlineMs <= this.now()) this.revoke(id);
  }

  private revoke(id: number): void {
    this.leases.delete(id);
    for (const [k, e] of this.keys) if (e.lease === id) this.keys.delete(k);
  }

  private read(
    key: string,
    consistency: string,
  ): { value: string; modRevision: number } | undefined {
    const e = this.keys.get(key);
    if (!e) return undefined;
    if (consistency === 'lease' && this.faults.staleLeaseReads && e.previous !== undefined)
      return e.previous;
    return { value: e.value, modRevision: e.modRevision };
  }

  private put(key: string, value: string, lease: number): void {
    const e = this.keys.get(key);
    this.revision++;
    this.keys.set(key, {
      value,
      previous: e ? { value: e.value, modRevision: e.modRevision } : undefined,
      createRevision: e?.createRevision ?? this.revision,
      modRevision: this.revision,
      lease,
    });
  }

  private kv(): KV {
    const header = (): { revision: number } => ({ revision: this.revision });
    const kvOf = (key: string, r: { value: string; modRevision: number }) => ({
      key: new TextEncoder().encode(key),
      value: new TextEncoder().encode(r.value),
      modRevision: r.modRevision,
      createRevision: 0,
      version: 1,
      lease: 0,
    });
    const kv = {
      range: async (spec: { key: unknown; consistency?: string }) => {
        this.expire();
        const consistency = spec.consistency ?? 'linearizable';
        this.consistencies.push(consistency);
        const r = this.read(text(spec.key), consistency);
        return {
          header: header(),
          kvs: r ? [kvOf(text(spec.key), r)] : [],
          more: false,
          count: r ? 1 : 0,
        };
      },
      put: async (key: unknown, value: unknown, options?: { lease?: number }) => {
        this.expire();
        this.put(text(key), text(value), options?.lease ?? 0);
        return { header: header() };
      },
      txn: async (spec: {
        compare?: { key: unknown; target: string; value?: unknown; number?: number }[];
        success?: Record<string, { key: unknown; value?: unknown; lease?: number }>[];
        failure?: Record<string, { key: unknown; value?: unknown; lease?: number }>[];
      }) => {
        this.expire();
        const holds = (spec.compare ?? []).every((c) => {
          const e = this.keys.get(text(c.key));
          if (c.target === 'CREATE') return (e?.createRevision ?? 0) === c.number;
          if (c.target === 'VALUE') return e !== undefined && e.value === text(c.value);
          throw new Error(`the fake store has no compare on ${c.target}`);
        });
        const responses = [];
        for (const o of (holds ? spec.success : spec.failure) ?? []) {
          if (o['put']) this.put(text(o['put'].key), text(o['put'].value), o['put'].lease ?? 0);
          else if (o['delete']) {
            this.keys.delete(text(o['delete'].key));
            this.revision++;
          } else if (o['range']) {
            const r = this.read(text(o['range'].key), 'linearizable');
            responses.push({ responseRange: { kvs: r ? [kvOf(text(o['range'].key), r)] : [] } });
          }
        }
        return { header: header(), succeeded: holds, responses };
      },
      leaseGrant: async (ttlS: number) => {
        const id = this.nextLease++;
        this.leases.set(id, { ttlS, deadlineMs: this.now() + ttlS * 1000 });
        this.grantedTtlS.set(id, ttlS);
        return { id, ttlSeconds: ttlS };
      },
      leaseKeepAlive: async (id: number) => {
        this.expire();
        const l = this.leases.get(id);
        if (this.faults.keepAliveDoesNotRenew)
          return { id, ttlSeconds: l?.ttlS ?? this.grantedTtlS.get(id) ?? 0 };
        if (!l) throw LeaseNotFoundError.of(id);
        l.deadlineMs = this.now() + l.ttlS * 1000;
        return { id, ttlSeconds: l.ttlS };
      },
      leaseRevoke: async (id: number) => {
        this.revoke(id);
      },
      close: async () => undefined,
    };
    return kv as unknown as KV;
  }
}
