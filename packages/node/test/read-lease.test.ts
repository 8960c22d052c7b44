// The read lease's rules on their own, on a VirtualClock: when a lease holds,
// how long, and what ends or blocks it (docs/architecture.md, "Leader leases").
// The whole-node tests (mutants-lease, lease-transfer, mutants-driver) show the
// same rules through a cluster; these pin each one directly.
import { describe, expect, it } from 'vitest';
import { NONE, type NodeId, type Role } from '@flotilla/raft';
import { VirtualClock } from '@flotilla/transport';
import { ReadLease } from '../src/read-lease.js';

const E = 10; // electionTicks
const T = 10; // tickMs
const FRACTION = 0.8;
const LEASE_MS = E * T * FRACTION; // 80

/** The CoreView members the lease does not read. */
const fixed = { leader: 1, term: 2, appliedIndex: 5, appliedTerm: 2, appliedAtMs: 0 };

interface Setup {
  clock: VirtualClock;
  core: { role: Role; commitIndex: number };
  transferee: { id: NodeId };
  lease: ReadLease;
}

function setup(checkQuorum = true): Setup {
  const clock = new VirtualClock({ startMs: 1_000 });
  const core = { role: 'leader' as Role, commitIndex: 5 };
  const transferee = { id: NONE as NodeId };
  const lease = new ReadLease({
    clock,
    core: {
      ...fixed,
      get role() {
        return core.role;
      },
      get commitIndex() {
        return core.commitIndex;
      },
    },
    options: { checkQuorum, electionTicks: E, tickMs: T, leaseFraction: FRACTION },
    leadTransferee: () => transferee.id,
  });
  return { clock, core, transferee, lease };
}

/** A leader whose term began at index 5, now committed, with a round confirmed at the current time. */
function leading(checkQuorum = true): Setup {
  const s = setup(checkQuorum);
  s.lease.becameLeader(5);
  s.lease.renew(s.clock.now());
  return s;
}

describe('ReadLease', () => {
  it('holds for leaseFraction of an election timeout from the round, and not a millisecond longer', () => {
    const { clock, lease } = leading();
    expect(lease.holds()).toBe(true);
    clock.advance(LEASE_MS - 1);
    expect(lease.holds()).toBe(true);
    clock.advance(1);
    expect(lease.holds()).toBe(false);
  });

  it('is extended by a later round, never shortened by an earlier one', () => {
    const { clock, lease } = leading();
    const first = clock.now();
    clock.advance(50);
    lease.renew(clock.now());
    lease.renew(first); // a slow round's confirmation arriving late
    clock.advance(LEASE_MS - 1);
    expect(lease.holds()).toBe(true);
    clock.advance(1);
    expect(lease.holds()).toBe(false);
  });

  it('holds nothing without CheckQuorum (voters promise nothing)', () => {
    const { lease } = leading(false);
    expect(lease.holds()).toBe(false);
  });

  it("holds nothing before the term's first entry commits", () => {
    const { core, lease } = leading();
    core.commitIndex = 4;
    expect(lease.holds()).toBe(false);
    core.commitIndex = 5;
    expect(lease.holds()).toBe(true);
  });

  it('holds nothing while a leadership transfer is under way', () => {
    const { transferee, lease } = leading();
    transferee.id = 2;
    expect(lease.holds()).toBe(false);
    transferee.id = NONE;
    expect(lease.holds()).toBe(true);
  });

  it('ends when a TimeoutNow leaves, and rounds issued within an election timeout after do not renew it', () => {
    const { clock, lease } = leading();
    const sentAt = clock.now();
    lease.block(sentAt);
    expect(lease.holds()).toBe(false);
    lease.renew(sentAt + E * T - 1);
    clock.advance(E * T - 1);
    expect(lease.holds()).toBe(false);
    // A round issued once the TimeoutNow can no longer arrive renews it again.
    clock.advance(1);
    lease.renew(clock.now());
    expect(lease.holds()).toBe(true);
  });

  it('a later TimeoutNow extends the block; an earlier one does not shorten it', () => {
    const { clock, lease } = leading();
    const first = clock.now();
    lease.block(first + 30);
    lease.block(first);
    lease.renew(first + 30 + E * T - 1);
    expect(lease.holds()).toBe(false);
  });

  it('ends with the term and with leadership, and a new term starts with none', () => {
    const a = leading();
    a.lease.termChanged();
    expect(a.lease.holds()).toBe(false);

    const b = leading();
    b.lease.steppedDown();
    b.core.role = 'follower';
    expect(b.lease.holds()).toBe(false);
    // Leading again: the old lease is gone until a round of the new term is confirmed.
    b.core.role = 'leader';
    b.lease.becameLeader(5);
    expect(b.lease.holds()).toBe(false);
    b.lease.renew(b.clock.now());
    expect(b.lease.holds()).toBe(true);
  });

  it('becoming leader starts with no lease, whatever was renewed before', () => {
    const { lease, clock } = setup();
    lease.renew(clock.now());
    lease.becameLeader(5);
    expect(lease.holds()).toBe(false);
  });

  it('stepping down leaves no term start behind: a lease renewed after holds nothing', () => {
    const { core, lease, clock } = leading();
    lease.steppedDown();
    // Still reported as leader by a stale view: the term start (Infinity) alone refuses it.
    lease.renew(clock.now());
    core.commitIndex = 1_000_000;
    expect(lease.holds()).toBe(false);
  });

  it('a round confirmed on a follower renews nothing', () => {
    const { core, lease, clock } = setup();
    lease.becameLeader(5);
    core.role = 'follower';
    lease.renew(clock.now());
    core.role = 'leader';
    expect(lease.holds()).toBe(false);
  });
});
