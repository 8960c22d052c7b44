#!/usr/bin/env node
// Runs ESLint over the repo from the root with this folder's config, so the
// root's TypeScript 7 and the parser's TypeScript 5 never meet.
import fs from 'node:fs';
import path from 'node:path';
import { makeLinter, repoRoot } from './check.js';

const requested = process.argv.slice(2);
const targets = (
  requested.length > 0 ? requested : ['packages', 'test', 'benchmarks', 'jepsen', 'tools']
).filter((t) => fs.existsSync(path.resolve(repoRoot, t)));

const eslint = makeLinter();
const results = await eslint.lintFiles(targets);
const formatter = await eslint.loadFormatter('stylish');
const text = await formatter.format(results);
if (text) process.stdout.write(text);
const errors = results.reduce((n, r) => n + r.errorCount, 0);
console.log(`lint: ${results.length} files, ${errors} errors`);
process.exitCode = errors > 0 ? 1 : 0;
