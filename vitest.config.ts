import './tools/node20-polyfills.js';
import { defineConfig } from 'vitest/config';

// One vitest run over every package. Workspace packages are resolved to their
// TypeScript sources through the "source" export condition, so tests never
// depend on a stale build.
const conditions = ['source', 'import', 'module', 'node', 'default'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ['source'] } },
  test: {
    include: [
      'packages/*/test/**/*.test.ts',
      'test/**/*.test.ts',
      'benchmarks/test/**/*.test.ts',
      'jepsen/test/**/*.test.ts',
    ],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
