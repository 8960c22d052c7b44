// Trace tests: each file in trace/testdata is a scenario written as commands,
// with the messages and Ready batches the core must produce printed under each
// (format: trace/datadriven.ts; commands: trace/interpreter.ts). A change to
// the core that changes the protocol shows up as a readable diff here.
// FLOTILLA_TRACE_REWRITE=1 rewrites the expected output (review the diff).
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatTraceFile, parseTraceFile, type TraceCase } from './trace/datadriven.js';
import { TraceNetwork } from './trace/interpreter.js';

const dir = path.join(import.meta.dirname, 'trace', 'testdata');
const rewrite = process.env.FLOTILLA_TRACE_REWRITE === '1';

describe('core traces', () => {
  const files = fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.txt'))
    .sort();

  it('has scenarios to run', () => {
    expect(files.length).toBeGreaterThanOrEqual(5);
  });

  for (const file of files) {
    it(file.replace(/\.txt$/, ''), () => {
      const full = path.join(dir, file);
      const trace = parseTraceFile(fs.readFileSync(full, 'utf8'), file);
      const net = new TraceNetwork();
      const actual = new Map<TraceCase, string>();
      for (const part of trace.parts) {
        if (typeof part === 'string') continue;
        let got: string;
        try {
          got = net.run(part.command);
        } catch (e) {
          throw new Error(`${file}:${part.line}: ${part.command}: ${(e as Error).message}`);
        }
        actual.set(part, got);
        if (!rewrite) expect(got, `${file}:${part.line}: ${part.command}`).toBe(part.expected);
      }
      if (rewrite) fs.writeFileSync(full, formatTraceFile(trace, actual));
    });
  }
});
