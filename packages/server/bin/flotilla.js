#!/usr/bin/env node
// The `flotilla` command. Runs the compiled CLI (pnpm build emits dist/); no
// TypeScript loader needed.
import { run } from '../dist/cli/main.js';

const code = await run(process.argv.slice(2));
process.exitCode = code;
