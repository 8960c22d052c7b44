// Key-range permissions as etcd checks them: a request over [key, end) is
// allowed when the union of the user's permission intervals of that type
// covers it. Keys are latin1 strings (KeyStr), whose order is byte order.
import { toKeyStr, type KeyStr } from '../bytes.js';
import type { Permission, PermType } from './types.js';

/** [start, end); end undefined = no upper bound. */
export interface Interval {
  start: KeyStr;
  end: KeyStr | undefined;
}

/**
 * etcd's key/rangeEnd rules as an interval: no rangeEnd is the key alone
 * ([key, key+"\0"), since key+"\0" is the next key in byte order), a single
 * zero byte is every key from key on.
 */
export function intervalOf(key: Uint8Array, rangeEnd: Uint8Array | undefined): Interval {
  const start = toKeyStr(key);
  if (!rangeEnd || rangeEnd.byteLength === 0) return { start, end: `${start}\0` };
  if (rangeEnd.byteLength === 1 && rangeEnd[0] === 0) return { start, end: undefined };
  return { start, end: toKeyStr(rangeEnd) };
}

export function grants(perm: PermType, wanted: 'READ' | 'WRITE'): boolean {
  return perm === 'READWRITE' || perm === wanted;
}

/** Whether the union of `have` covers `want` (an empty `want`, end ≤ start, is covered). */
export function covered(have: readonly Interval[], want: Interval): boolean {
  if (want.end !== undefined && want.end <= want.start) return true;
  const sorted = [...have].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  let reach: KeyStr = want.start; // everything before `reach` is covered
  for (const iv of sorted) {
    if (iv.start > reach) return false;
    if (iv.end === undefined) return true;
    if (iv.end > reach) reach = iv.end;
    if (want.end !== undefined && reach >= want.end) return true;
  }
  return false;
}

export function permIntervals(perms: readonly Permission[], wanted: 'READ' | 'WRITE'): Interval[] {
  return perms.filter((p) => grants(p.permType, wanted)).map((p) => intervalOf(p.key, p.rangeEnd));
}
