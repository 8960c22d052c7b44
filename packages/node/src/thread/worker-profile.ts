// Benchmarks only: with FLOTILLA_PROFILE_DIR set, a node's worker thread runs
// under V8's CPU profiler and writes its profile there when the node stops.
// benchmarks/suite/profile.ts profiles each process's main thread through the
// inspector, which does not see worker threads, where consensus, log writes,
// apply and the KV state machine run.
import fs from 'node:fs';
import inspector from 'node:inspector';
import path from 'node:path';
import { threadId } from 'node:worker_threads';

/** Starts the profiler if asked to; returns what writes the profile (once), else undefined. */
export function startWorkerProfile(): (() => void) | undefined {
  const dir = process.env['FLOTILLA_PROFILE_DIR'];
  if (dir === undefined || dir === '') return undefined;
  const session = new inspector.Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.start');
  let written = false;
  return () => {
    if (written) return;
    written = true;
    // An in-thread session answers synchronously: the file exists when this returns.
    session.post('Profiler.stop', (err, result) => {
      if (err === null)
        fs.writeFileSync(
          path.join(dir, `node-worker-${process.pid}-${threadId}.cpuprofile`),
          JSON.stringify(result.profile),
        );
      session.disconnect();
    });
  };
}
