// The four mutation-testing areas: which sources are mutated and which test
// files judge each mutant. Test files are the fast ones that exercise the area
// (a mutant costs one vitest start plus these files); the slow real-process and
// property suites are left out so a whole area fits in a bounded run. See
// docs/testing.md, "Mutation testing", for scores and what each run took.

export const areas = {
  raft: {
    // errors.ts (messages), rng.ts and sizes.ts (timeouts, byte estimates),
    // index.ts and types.ts (no logic) are left out: not safety-relevant.
    mutate: ['packages/raft/src/**/*.ts', '!packages/raft/src/{index,types,errors,rng,sizes}.ts'],
    tests: ['packages/raft/test'],
  },
  kv: {
    mutate: ['packages/kv/src/**/*.ts', '!packages/kv/src/index.ts', '!packages/kv/src/types.ts'],
    tests: [
      'packages/kv/test/kv.test.ts',
      'packages/kv/test/watch.test.ts',
      'packages/kv/test/leases.test.ts',
      'packages/kv/test/exactly-once.test.ts',
      'packages/kv/test/sorted-keys.test.ts',
    ],
  },
  driver: {
    mutate: ['packages/node/src/driver.ts'],
    tests: [],
  },
  level: {
    mutate: ['packages/storage/src/level/**/*.ts'],
    tests: [
      'packages/storage/test/level.conformance.test.ts',
      'packages/storage/test/level.behaviour.test.ts',
      'packages/storage/test/level.open.test.ts',
      'packages/storage/test/corruption.test.ts',
    ],
  },
};
