#!/usr/bin/env node
// API reports: for every entry point of every package (each `exports` entry
// with types), api-extractor writes packages/<pkg>/api/<name>.api.md from the
// .d.ts the build emits. `--check` (CI) fails when a report differs from what
// the code exports now; `--update` rewrites the reports. Run the build first.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Extractor, ExtractorConfig } from '@microsoft/api-extractor';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../..');
const mode = process.argv[2];
if (mode !== '--check' && mode !== '--update') {
  console.error('usage: node tools/api/run.js --check|--update [package…]');
  process.exit(2);
}
const only = process.argv.slice(3);
const base = ExtractorConfig.loadFile(path.join(here, 'api-extractor.base.jsonc'));

/** Every entry point with types: [package folder, subpath, .d.ts, report name]. */
function entryPoints() {
  const out = [];
  const packages = path.join(repoRoot, 'packages');
  for (const dir of fs.readdirSync(packages).sort()) {
    if (only.length > 0 && !only.includes(dir)) continue;
    const folder = path.join(packages, dir);
    const manifest = JSON.parse(fs.readFileSync(path.join(folder, 'package.json'), 'utf8'));
    for (const [subpath, target] of Object.entries(manifest.exports ?? {})) {
      if (typeof target !== 'object' || target.types === undefined) continue;
      const suffix = subpath === '.' ? '' : `-${subpath.slice(2).replaceAll('/', '-')}`;
      out.push({ folder, subpath, types: target.types, report: `${dir}${suffix}.api.md` });
    }
  }
  return out;
}

let failed = 0;
for (const entry of entryPoints()) {
  const dts = path.join(entry.folder, entry.types);
  if (!fs.existsSync(dts)) {
    console.error(`${path.relative(repoRoot, dts)} is missing: run pnpm build first`);
    failed++;
    continue;
  }
  if (mode === '--update') fs.mkdirSync(path.join(entry.folder, 'api'), { recursive: true });
  const config = ExtractorConfig.prepare({
    configObject: {
      ...base,
      projectFolder: entry.folder,
      mainEntryPointFilePath: dts,
      apiReport: {
        ...base.apiReport,
        reportFileName: entry.report,
        reportFolder: path.join(entry.folder, 'api'),
        reportTempFolder: path.join(entry.folder, 'dist/.api'),
      },
      // The packages' .d.ts, resolved the way a user resolves them (no `source`
      // condition), so other @flotilla packages are read from their dist too.
      compiler: {
        overrideTsconfig: {
          compilerOptions: {
            target: 'ES2022',
            module: 'NodeNext',
            moduleResolution: 'NodeNext',
            lib: ['ES2022'],
            strict: true,
            skipLibCheck: true,
            types: ['node'],
          },
          files: [dts],
        },
      },
    },
    configObjectFullPath: path.join(here, 'api-extractor.base.jsonc'),
    packageJsonFullPath: path.join(entry.folder, 'package.json'),
  });
  const result = Extractor.invoke(config, {
    localBuild: mode === '--update',
    showVerboseMessages: false,
    printApiReportDiff: mode === '--check',
    // Every entry would print which TypeScript api-extractor bundles (its own, not the repo's).
    messageCallback: (message) => {
      if (message.messageId === 'console-preamble') message.handled = true;
    },
  });
  const name = `${path.relative(repoRoot, entry.folder)} ${entry.subpath}`;
  if (!result.succeeded) {
    failed++;
    const report = path.join(entry.folder, 'api', entry.report);
    const why = !result.apiReportChanged
      ? `${result.errorCount} errors, ${result.warningCount} warnings`
      : fs.existsSync(report)
        ? 'its API report is out of date: run `pnpm api:update` and commit the report'
        : 'it has no API report yet: run `pnpm api:update` and commit the report';
    console.error(`api: ${name}: ${why}`);
  }
}
console.log(`api: ${failed === 0 ? 'all reports current' : `${failed} entry points failed`}`);
process.exitCode = failed === 0 ? 0 : 1;
