// Lint rules for the whole repo. The strict part is the Raft core's purity
// (docs/conventions.md, convention 1): no I/O, no clock, no randomness, no async in
// packages/raft/src, so that every run is reproducible from its seed.
import { createNodeResolver, importX } from 'eslint-plugin-import-x';
import * as cycleParser from './cycle-parser.js';

const nodeBuiltins = [
  'fs',
  'fs/promises',
  'net',
  'http',
  'https',
  'os',
  'path',
  'child_process',
  'crypto',
  'timers',
  'timers/promises',
  'worker_threads',
  'process',
  'dgram',
  'dns',
  'events',
  'stream',
  'perf_hooks',
  'cluster',
  'readline',
  'util',
];

const purity = {
  'no-restricted-imports': [
    'error',
    {
      paths: nodeBuiltins.map((name) => ({
        name,
        message: 'packages/raft is pure: no Node I/O modules.',
      })),
      patterns: [{ group: ['node:*'], message: 'packages/raft is pure: no node: imports.' }],
    },
  ],
  'no-restricted-globals': [
    'error',
    ...[
      'Date',
      'setTimeout',
      'setInterval',
      'setImmediate',
      'clearTimeout',
      'clearInterval',
      'queueMicrotask',
      'process',
      'performance',
      'Promise',
      'require',
      'fetch',
      'crypto',
    ].map((name) => ({
      name,
      message: `packages/raft is pure and deterministic: no ${name}. Inject what you need.`,
    })),
  ],
  'no-restricted-properties': [
    'error',
    {
      object: 'Math',
      property: 'random',
      message: 'packages/raft takes randomness from the injected Rng.',
    },
    { object: 'globalThis', message: 'packages/raft must not reach for globals.' },
  ],
  'no-restricted-syntax': [
    'error',
    {
      selector: 'FunctionDeclaration[async=true]',
      message: 'packages/raft is synchronous: no async functions.',
    },
    {
      selector: 'FunctionExpression[async=true]',
      message: 'packages/raft is synchronous: no async functions.',
    },
    {
      selector: 'ArrowFunctionExpression[async=true]',
      message: 'packages/raft is synchronous: no async functions.',
    },
    { selector: 'AwaitExpression', message: 'packages/raft is synchronous: no await.' },
    { selector: 'ImportExpression', message: 'packages/raft is pure: no dynamic import.' },
  ],
};

export default [
  { ignores: ['**/node_modules/**', '**/dist/**', 'benchmarks/results/**'] },
  {
    files: ['**/*.ts'],
    languageOptions: { parser: cycleParser, ecmaVersion: 2022, sourceType: 'module' },
    rules: {
      'no-debugger': 'error',
      'no-var': 'error',
      'prefer-const': 'error',
      eqeqeq: ['error', 'always', { null: 'ignore' }],
    },
  },
  { files: ['packages/raft/src/**/*.ts'], rules: purity },
  {
    // No import cycles inside a package, type-only ones included (docs/conventions.md,
    // convention 13; cycle-parser.js says how type-only imports are counted). Imports
    // are written './x.js' and resolve to './x.ts'; other packages are not followed
    // (their dependency lists already forbid cycles between packages).
    files: ['packages/*/src/**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/extensions': ['.ts', '.js'],
      'import-x/resolver-next': [
        createNodeResolver({
          extensions: ['.ts', '.js'],
          extensionAlias: { '.js': ['.ts', '.js'] },
        }),
      ],
    },
    rules: { 'import-x/no-cycle': ['error', { ignoreExternal: true }] },
  },
];
