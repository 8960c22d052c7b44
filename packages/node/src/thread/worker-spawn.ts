// Starting the worker thread. Built (dist/), the entry is the compiled
// worker-main.js beside this file. Run from the TypeScript sources (vitest,
// `node --conditions=source --import tsx`), the entry is worker-main.ts: a
// worker does not inherit tsx's loader, so a small bootstrap registers tsx in
// the worker first and resolves the workspace packages through their
// `source` export condition, as the host does.
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { NodeOptionsError } from '../errors.js';
import type { WorkerInit } from './worker-init.js';

export function spawnNodeWorker(init: WorkerInit): Worker {
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    const main = new URL('./worker-main.ts', here).href;
    const tsxApi = pathToFileURL(resolveTsx(here)).href.replace(/\.cjs$/, '.mjs');
    const bootstrap = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(main)}); });`;
    return new Worker(bootstrap, {
      eval: true,
      workerData: init,
      transferList: [init.metricsPort],
      execArgv: ['--conditions=source'],
    });
  }
  return new Worker(new URL('./worker-main.js', here), {
    workerData: init,
    transferList: [init.metricsPort],
    // The built worker resolves the built packages, whatever the host was started with.
    execArgv: withoutSourceCondition(process.execArgv),
  });
}

function resolveTsx(from: string): string {
  try {
    return createRequire(from).resolve('tsx/esm/api');
  } catch {
    throw new NodeOptionsError(
      "the node's worker thread runs @flotilla/node from its TypeScript sources here, which needs tsx: install it, use the built package, or pass thread: 'inline'",
    );
  }
}

function withoutSourceCondition(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--conditions=source' || a === '-C=source') continue;
    if ((a === '--conditions' || a === '-C') && argv[i + 1] === 'source') {
      i++;
      continue;
    }
    out.push(a);
  }
  return out;
}
