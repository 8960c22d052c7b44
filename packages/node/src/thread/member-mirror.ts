// The host's copy of the worker node's replicated member table, so that the
// synchronous `node.members` view works on the host. The worker sends the
// whole table whenever it changed (membership changes are rare and the table
// small), before the answer of any request that applied after the change.
import type { MemberRecord, MemberView } from '@flotilla/kv';

export class MemberMirror implements MemberView {
  changes = 0;
  private records = new Map<number, MemberRecord>();

  set(records: readonly MemberRecord[]): void {
    this.records = new Map(records.map((r) => [r.id, r]));
    this.changes++;
  }

  get(id: number): MemberRecord | undefined {
    return this.records.get(id);
  }

  list(): MemberRecord[] {
    return [...this.records.values()].sort((a, b) => a.id - b.id);
  }
}
