#!/usr/bin/env node
// Dependency lists that match the imports, for every package in packages/*:
// - each package that src/ (or bin/) imports (at run time or for types, which a user's
//   compiler reads from the published .d.ts) is in `dependencies` or
//   `peerDependencies`;
// - each entry of `dependencies` is imported by src/;
// - each package that test/ (or scripts/) imports is declared (or is the repo's own test
//   tooling from the root package.json), and each `devDependencies` entry is
//   imported by src/ or test/.
// Imports are read with TypeScript's own import scanner (preProcessFile), so
// `import type`, `export … from` and `import()` all count.
import fs from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import ts from 'typescript';
import { repoRoot } from './check.js';

const builtins = new Set(builtinModules);

/** The package a bare specifier names ('@a/b/c' → '@a/b', 'x/y' → 'x'); undefined if relative or built in. */
export function packageOf(specifier) {
  if (specifier.startsWith('.') || specifier.startsWith('/')) return undefined;
  if (specifier.startsWith('node:') || builtins.has(specifier.split('/')[0])) return undefined;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

function sourceFiles(dir) {
  if (!fs.existsSync(dir)) return [];
  const out = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== 'node_modules' && entry.name !== 'dist') out.push(...sourceFiles(file));
    } else if (/\.(ts|js|mjs)$/.test(entry.name)) out.push(file);
  }
  return out;
}

// A package reached by path rather than imported (server reads etcd3's .proto
// files): `require.resolve('x/…')` or `import.meta.resolve('x/…')`.
const RESOLVED = /(?:require|import\.meta|createRequire\([^)]*\))\.resolve\(\s*['"]([^'"]+)['"]/g;

/** Package name → the files (relative to the repo) that import it, over the given folders. */
function importsUnder(...dirs) {
  const found = new Map();
  for (const file of dirs.flatMap(sourceFiles)) {
    const text = fs.readFileSync(file, 'utf8');
    const info = ts.preProcessFile(text, true, true);
    const specifiers = [
      ...info.importedFiles.map((ref) => ref.fileName),
      ...[...text.matchAll(RESOLVED)].map((m) => m[1]),
    ];
    for (const specifier of specifiers) {
      const name = packageOf(specifier);
      if (name === undefined) continue;
      if (!found.has(name)) found.set(name, []);
      found.get(name).push(path.relative(repoRoot, file));
    }
  }
  return found;
}

const keys = (o) => new Set(Object.keys(o ?? {}));

/** The problems with one package's dependency lists, as sentences. */
export function checkPackage(dir, rootDevDependencies) {
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
  const deps = keys(manifest.dependencies);
  const peers = keys(manifest.peerDependencies);
  const dev = keys(manifest.devDependencies);
  // What runs for a user: src/ and the bin/ scripts. What runs only here: test/, scripts/.
  const src = importsUnder(path.join(dir, 'src'), path.join(dir, 'bin'));
  const test = importsUnder(path.join(dir, 'test'), path.join(dir, 'scripts'));
  const problems = [];
  for (const [name, files] of src) {
    if (name === manifest.name || deps.has(name) || peers.has(name)) continue;
    problems.push(`${name} is imported by ${files[0]} but is not in dependencies`);
  }
  for (const name of deps) {
    if (!src.has(name))
      problems.push(
        `${name} is in dependencies but nothing in src/ imports it${test.has(name) ? ' (test/ does: make it a devDependency)' : ''}`,
      );
  }
  for (const [name, files] of test) {
    if (name === manifest.name || deps.has(name) || peers.has(name) || dev.has(name)) continue;
    if (rootDevDependencies.has(name)) continue;
    problems.push(`${name} is imported by ${files[0]} but is not declared`);
  }
  for (const name of dev) {
    if (!src.has(name) && !test.has(name)) {
      problems.push(`${name} is in devDependencies but nothing imports it`);
    }
  }
  return problems.map((p) => `${manifest.name}: ${p}`);
}

const isMain = process.argv[1] === new URL(import.meta.url).pathname;
if (isMain) {
  const root = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8'));
  const rootDev = keys(root.devDependencies);
  const packages = path.join(repoRoot, 'packages');
  const problems = fs
    .readdirSync(packages)
    .sort()
    .map((d) => path.join(packages, d))
    .filter((d) => fs.existsSync(path.join(d, 'package.json')))
    .flatMap((d) => checkPackage(d, rootDev));
  for (const p of problems) console.log(p);
  console.log(`deps: ${problems.length} problems`);
  process.exitCode = problems.length > 0 ? 1 : 0;
}
