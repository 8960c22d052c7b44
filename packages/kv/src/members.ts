// The replicated member metadata: for each member id its name, peer URLs,
// client URLs and learner flag. Raft's configuration carries ids only; this
// is what `member list` answers from, the same on every member at the same
// applied index. Lives in the KV state's own LevelDB section 07 (so it is in
// every snapshot and every backup), never visible to KV reads, and changes
// only by applying `member` commands: carried by conf-change entries (as
// their context) and by normal entries (member update, a member publishing
// its own client URLs).
//
//   07 id:8   member: [id, name, peerUrls, clientUrls, isLearner]
import { readUint53, writeUint53 } from './bytes.js';
import { InvalidRequestError, invariant } from './errors.js';
import { packr } from './layout.js';
import type { Batch } from './batch.js';

export const SECTION_MEMBERS = 0x07;

/** Member records at most (the records of removed members are deleted, so this bounds the cluster size). */
export const MEMBERS_MAX = 1_000;
/** URLs per list at most, and bytes per URL or name at most. */
export const MEMBER_URLS_MAX = 16;
export const MEMBER_TEXT_BYTES_MAX = 1_024;

export interface MemberRecord {
  readonly id: number;
  readonly name: string;
  readonly peerUrls: readonly string[];
  readonly clientUrls: readonly string[];
  readonly isLearner: boolean;
}

/**
 * `set` creates or updates the record of `id`: the fields given replace the
 * stored ones, the others keep their value (a new record starts with an empty
 * name, no URLs, not a learner). `remove` deletes it (no-op if absent).
 */
export type MemberRequest =
  | {
      readonly kind: 'set';
      readonly id: number;
      readonly name?: string;
      readonly peerUrls?: readonly string[];
      readonly clientUrls?: readonly string[];
      readonly isLearner?: boolean;
    }
  | { readonly kind: 'remove'; readonly id: number };

/** Read-only view for the serving side. `changes` grows with every applied change (from 0 after open or restore). */
export interface MemberView {
  readonly changes: number;
  get(id: number): MemberRecord | undefined;
  /** Every record, by id. */
  list(): MemberRecord[];
}

function memberKey(id: number): Uint8Array {
  const k = new Uint8Array(9);
  k[0] = SECTION_MEMBERS;
  writeUint53(k, 1, id);
  return k;
}

export class MemberStore implements MemberView {
  private readonly records = new Map<number, MemberRecord>();
  changes = 0;

  get(id: number): MemberRecord | undefined {
    return this.records.get(id);
  }

  list(): MemberRecord[] {
    return [...this.records.values()].sort((a, b) => a.id - b.id);
  }

  /** One stored record, on load. */
  load(key: Uint8Array, value: Uint8Array): void {
    const v = packr.unpack(value) as unknown;
    invariant(
      Array.isArray(v) && v.length === 5 && v[0] === readUint53(key, 1),
      'kv member record is unreadable: corrupt kv state',
    );
    const [id, name, peerUrls, clientUrls, isLearner] = v as [
      number,
      string,
      string[],
      string[],
      boolean,
    ];
    this.records.set(id, { id, name, peerUrls, clientUrls, isLearner });
  }

  /** Deletes every record (restore into a new cluster: the old members' records mean nothing there). */
  clear(batch: Batch): void {
    for (const id of this.records.keys()) batch.del(memberKey(id));
    if (this.records.size > 0) this.changes++;
    this.records.clear();
  }

  /** Deterministic and total for a validated request; InvalidRequestError when the table is full. */
  apply(req: MemberRequest, batch: Batch): void {
    if (req.kind === 'remove') {
      if (!this.records.delete(req.id)) return;
      batch.del(memberKey(req.id));
      this.changes++;
      return;
    }
    const old = this.records.get(req.id);
    if (old === undefined && this.records.size >= MEMBERS_MAX)
      throw new InvalidRequestError(
        `the member table is full (${MEMBERS_MAX} members); remove members before adding more`,
      );
    const next: MemberRecord = {
      id: req.id,
      name: req.name ?? old?.name ?? '',
      peerUrls: [...(req.peerUrls ?? old?.peerUrls ?? [])],
      clientUrls: [...(req.clientUrls ?? old?.clientUrls ?? [])],
      isLearner: req.isLearner ?? old?.isLearner ?? false,
    };
    this.records.set(req.id, next);
    batch.put(
      memberKey(req.id),
      packr.pack([next.id, next.name, next.peerUrls, next.clientUrls, next.isLearner]),
    );
    this.changes++;
  }
}

function text(v: unknown, what: string): string {
  if (typeof v !== 'string' || Buffer.byteLength(v) > MEMBER_TEXT_BYTES_MAX)
    throw new InvalidRequestError(
      `${what} must be a string of at most ${MEMBER_TEXT_BYTES_MAX} bytes`,
    );
  return v;
}

function urls(v: unknown, what: string): string[] {
  if (!Array.isArray(v) || v.length > MEMBER_URLS_MAX)
    throw new InvalidRequestError(`${what} must be a list of at most ${MEMBER_URLS_MAX} URLs`);
  return v.map((u, i) => text(u, `${what}[${i}]`));
}

/** Validates a decoded `member` request (throws InvalidRequestError). */
export function parseMemberRequest(v: unknown): MemberRequest {
  if (v === null || typeof v !== 'object' || Array.isArray(v))
    throw new InvalidRequestError('member request must be a map { kind, id, ... }');
  const o = v as Record<string, unknown>;
  const id = o['id'];
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 1)
    throw new InvalidRequestError('member.id must be a positive safe integer');
  if (o['kind'] === 'remove') return { kind: 'remove', id };
  if (o['kind'] !== 'set') throw new InvalidRequestError("member.kind must be 'set' or 'remove'");
  const isLearner = o['isLearner'];
  if (isLearner !== undefined && typeof isLearner !== 'boolean')
    throw new InvalidRequestError('member.isLearner must be a boolean');
  return {
    kind: 'set',
    id,
    ...(o['name'] !== undefined ? { name: text(o['name'], 'member.name') } : {}),
    ...(o['peerUrls'] !== undefined ? { peerUrls: urls(o['peerUrls'], 'member.peerUrls') } : {}),
    ...(o['clientUrls'] !== undefined
      ? { clientUrls: urls(o['clientUrls'], 'member.clientUrls') }
      : {}),
    ...(isLearner !== undefined ? { isLearner } : {}),
  };
}
