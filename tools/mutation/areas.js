// The four mutation-testing areas. For each: `mutate`, the safety-relevant
// code a default run mutates (whole files, or named functions of a file, which
// run.js turns into line ranges so the areas follow the code as it moves;
// sized so a run takes well under an hour on the shared 2-core machine),
// `all`, the whole area (`--all`; hours), and `tests`, the fast test files that
// judge each mutant (a mutant costs one vitest start plus these files; slow
// real-process and property suites are left out). Scores, run times and
// survivors: docs/testing.md, "Mutation testing".

export const areas = {
  raft: {
    mutate: [
      'packages/raft/src/quorum.ts', // commit index and election outcome
      'packages/raft/src/step.ts', // term handling, vote granting
      {
        file: 'packages/raft/src/log.ts',
        functions: [
          'term',
          'matchTerm',
          'isUpToDate',
          'slice',
          'append',
          'findConflict',
          'findConflictByTerm',
          'unstableEntries',
          'stableTo',
          'commitTo',
          'compact',
          'hasUnappliedConfChanges',
        ],
      },
      {
        file: 'packages/raft/src/step-follower.ts',
        functions: ['handleAppend', 'handleHeartbeat', 'handleSnapshot'],
      },
      { file: 'packages/raft/src/step-leader.ts', functions: ['handleAppendResp'] },
      { file: 'packages/raft/src/progress.ts', functions: ['maybeUpdate', 'maybeDecrTo'] },
      {
        file: 'packages/raft/src/raft.ts',
        functions: [
          'promotable',
          'campaign',
          'poll',
          'committedEntryInCurrentTerm',
          'maybeCommit',
          'onPersisted',
        ],
      },
    ],
    // errors.ts (messages), rng.ts and sizes.ts (timeouts, byte estimates),
    // index.ts and types.ts (no logic) are not safety-relevant.
    all: ['packages/raft/src/**/*.ts', '!packages/raft/src/{index,types,errors,rng,sizes}.ts'],
    tests: ['packages/raft/test'],
  },
  kv: {
    mutate: [
      {
        file: 'packages/kv/src/apply.ts',
        functions: [
          'apply',
          'run',
          'outcome',
          'done',
          'execute',
          'failed',
          'write',
          'committed',
          'dispatch',
          'revokeOne',
          'expire',
        ],
      }, // exactly-once dedup, dispatch, the synchronous and waiting paths
      'packages/kv/src/write-txn.ts', // revisions, staged puts/deletes, commit
    ],
    all: ['packages/kv/src/**/*.ts', '!packages/kv/src/{index,types}.ts'],
    tests: [
      'packages/kv/test/kv.test.ts',
      'packages/kv/test/watch.test.ts',
      'packages/kv/test/leases.test.ts',
      'packages/kv/test/exactly-once.test.ts',
      'packages/kv/test/sorted-keys.test.ts',
      'packages/kv/test/mutants-apply.test.ts',
      'packages/kv/test/mutants-write-txn.test.ts',
      'packages/kv/test/auth.test.ts', // user-scoped client ids, refused commands
    ],
  },
  driver: {
    mutate: [
      // Lease reads, the Ready cycle (persist/send/apply order), hard state, persist, apply.
      {
        file: 'packages/node/src/driver.ts',
        // loopFailed: a failed write stops the node, never an unhandled rejection.
        functions: ['loopFailed', 'leaseRead', 'cycle', 'onHardState', 'persist', 'apply'],
      },
      'packages/node/src/read-lease.ts', // when the leader lease holds, renewal, blocking after a TimeoutNow
      // The leader's kv lease clocks: no renewal of a lease that ran out or is being expired.
      {
        file: 'packages/node/src/leases.ts',
        functions: ['keepAlive', 'dueForExpiry', 'reconcile'],
      },
    ],
    // A mutant that stalls the driver loop makes the tests wait for their own
    // timeouts; give up on it sooner (it counts as detected either way).
    timeoutMs: 8_000,
    // The driver and the modules split out of it (docs/architecture.md, "The driver's shape").
    all: [
      'packages/node/src/driver.ts',
      'packages/node/src/read-lease.ts',
      'packages/node/src/snapshot-schedule.ts',
      'packages/node/src/apply-reporter.ts',
      'packages/node/src/proposal-intake.ts',
      'packages/node/src/kv-lease-clocks.ts',
      'packages/node/src/node-channel.ts',
      'packages/node/src/tick-timer.ts',
    ],
    tests: [
      'packages/node/test/read-lease.test.ts', // the lease's rules on their own
      'packages/node/test/write-path.test.ts',
      'packages/node/test/reads.test.ts',
      'packages/node/test/leases.test.ts',
      'packages/node/test/restart.test.ts',
      'packages/node/test/snapshot.test.ts',
      'packages/node/test/commit-overlap.test.ts',
      'packages/node/test/membership.test.ts',
      'packages/node/test/mutants-lease.test.ts',
      'packages/node/test/lease-transfer.test.ts', // no lease read during a transfer, none renewed after a TimeoutNow
      'packages/node/test/mutants-driver.test.ts', // persist/send order, sync, metrics, events, crashes mid-write
      'packages/node/test/node-failure.test.ts', // a failed write stops the node with NodeFailedError and 'failed'
      'packages/node/test/units.test.ts', // the leader's lease clocks on their own
    ],
  },
  level: {
    mutate: [
      // persist/load, write plans, sync, and reads waiting for in-flight writes.
      {
        file: 'packages/storage/src/level/level-storage.ts',
        functions: [
          'persist',
          'load',
          'check',
          'write',
          'execute',
          'waitFor',
          'termOf',
          'readEntries',
          'readAt',
        ],
      },
    ],
    all: ['packages/storage/src/level/**/*.ts'],
    tests: [
      'packages/storage/test/level.conformance.test.ts',
      'packages/storage/test/level.behaviour.test.ts',
      'packages/storage/test/corruption.test.ts',
      'packages/storage/test/level.open.test.ts', // closed-handle refusals
      'packages/storage/test/mutants-level.test.ts',
      'packages/storage/test/mutants-level-held.test.ts', // reads while a write is held in flight
      'packages/storage/test/mutants-level-sync.test.ts', // sync flags and the sync barrier
      'packages/storage/test/mutants-level-errors.test.ts', // hole and closed-handle errors
    ],
  },
};
