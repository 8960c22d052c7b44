// The four mutation-testing areas. For each: `mutate`, the safety-relevant
// line ranges a default run mutates (sized so a run takes well under an hour
// on the shared 2-core machine), `all`, the whole area (`--all`; hours), and
// `tests`, the fast test files that judge each mutant (a mutant costs one
// vitest start plus these files; slow real-process and property suites are
// left out). Scores, run times and survivors: docs/testing.md, "Mutation testing".

export const areas = {
  raft: {
    mutate: [
      'packages/raft/src/quorum.ts', // commit index and election outcome
      'packages/raft/src/step.ts', // term handling, vote granting
      'packages/raft/src/log.ts:59-143', // term lookup, up-to-date check, append, conflicts, commitTo
      'packages/raft/src/log.ts:177-194', // compaction, unapplied conf changes
      'packages/raft/src/step-follower.ts:96-150', // append and snapshot acceptance
      'packages/raft/src/step-leader.ts:54-82', // append responses, match advance
      'packages/raft/src/progress.ts:117-143', // match/next updates on acks and rejects
      'packages/raft/src/raft.ts:212-247', // promotable, campaign, poll
      'packages/raft/src/raft.ts:340-371', // current-term commit rule, persisted acks
    ],
    // errors.ts (messages), rng.ts and sizes.ts (timeouts, byte estimates),
    // index.ts and types.ts (no logic) are not safety-relevant.
    all: ['packages/raft/src/**/*.ts', '!packages/raft/src/{index,types,errors,rng,sizes}.ts'],
    tests: ['packages/raft/test'],
  },
  kv: {
    mutate: [
      'packages/kv/src/apply.ts:41-122', // apply, exactly-once dedup, dispatch
      'packages/kv/src/write-txn.ts:41-150', // revisions, staged puts/deletes, commit
    ],
    all: ['packages/kv/src/**/*.ts', '!packages/kv/src/{index,types}.ts'],
    tests: [
      'packages/kv/test/kv.test.ts',
      'packages/kv/test/watch.test.ts',
      'packages/kv/test/leases.test.ts',
      'packages/kv/test/exactly-once.test.ts',
      'packages/kv/test/sorted-keys.test.ts',
      'packages/kv/test/mutants-apply.test.ts',
    ],
  },
  driver: {
    mutate: [
      'packages/node/src/driver.ts:269-282', // lease reads, hasLease
      'packages/node/src/driver.ts:439-465', // ready cycle: persist, send, apply ordering
      'packages/node/src/driver.ts:511-536', // hard state, persist
      'packages/node/src/driver.ts:574-598', // apply
    ],
    // A mutant that stalls the driver loop makes the tests wait for their own
    // timeouts; give up on it sooner (it counts as detected either way).
    timeoutMs: 8_000,
    all: ['packages/node/src/driver.ts'],
    tests: [
      'packages/node/test/write-path.test.ts',
      'packages/node/test/reads.test.ts',
      'packages/node/test/leases.test.ts',
      'packages/node/test/restart.test.ts',
      'packages/node/test/snapshot.test.ts',
      'packages/node/test/commit-overlap.test.ts',
      'packages/node/test/membership.test.ts',
      'packages/node/test/mutants-lease.test.ts',
    ],
  },
  level: {
    mutate: [
      'packages/storage/src/level/level-storage.ts:56-75', // persist, load
      'packages/storage/src/level/level-storage.ts:107-181', // write plans, sync, execute
      'packages/storage/src/level/level-storage.ts:230-278', // term and entry reads
    ],
    all: ['packages/storage/src/level/**/*.ts'],
    tests: [
      'packages/storage/test/level.conformance.test.ts',
      'packages/storage/test/level.behaviour.test.ts',
      'packages/storage/test/corruption.test.ts',
      'packages/storage/test/level.open.test.ts', // closed-handle refusals
      'packages/storage/test/mutants-level.test.ts',
    ],
  },
};
