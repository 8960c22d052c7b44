// A `flotilla` bin that runs the real one under V8's CPU profiler and writes
// the profile to $FLOTILLA_PROFILE_DIR when the member is stopped with
// SIGTERM (--cpu-prof is not allowed in NODE_OPTIONS, so profile.ts starts
// the members through this file instead).
import fs from 'node:fs';
import inspector from 'node:inspector';
import path from 'node:path';

const dir = process.env.FLOTILLA_PROFILE_DIR;
const session = new inspector.Session();
session.connect();
session.post('Profiler.enable');
session.post('Profiler.start');
process.once('SIGTERM', () => {
  // The in-thread session answers synchronously, so the file is written before the CLI exits.
  session.post('Profiler.stop', (err, result) => {
    if (!err && dir)
      fs.writeFileSync(
        path.join(dir, `member-${process.pid}.cpuprofile`),
        JSON.stringify(result.profile),
      );
  });
});
const { run } = await import('../../packages/server/dist/cli/main.js');
process.exitCode = await run(process.argv.slice(2));
