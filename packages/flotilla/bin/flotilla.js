#!/usr/bin/env node
// The `flotilla` command of the umbrella package: @flotilla/server's CLI.
import { run } from '@flotilla/server/cli';

process.exitCode = await run(process.argv.slice(2));
