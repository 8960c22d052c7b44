// The `flotilla` command line. Every user error is one line on stderr and a
// non-zero exit (1 for a failed command, 2 for bad usage); unexpected errors
// (bugs) still print one line, plus the stack only with FLOTILLA_DEBUG=1.
import fs from 'node:fs';
import { isExpected } from '@flotilla/errors';
import { CommanderError } from 'commander';
import { exitCodeOf } from './errors.js';
import { buildProgram } from './program.js';
import { Runner } from './runner.js';

function readStdin(): Promise<string> {
  if (process.stdin.isTTY) return Promise.resolve(fs.readFileSync(0, 'utf8'));
  return new Promise((resolve, reject) => {
    let text = '';
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (c: string) => (text += c));
    process.stdin.on('end', () => resolve(text));
    process.stdin.on('error', reject);
  });
}

/** Runs one CLI invocation; resolves to the exit code. */
export async function run(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const controller = new AbortController();
  const stop = (): void => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const runner = new Runner({
    env,
    signal: controller.signal,
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    readStdin,
  });
  try {
    const program = buildProgram(runner, {
      out: (t) => process.stdout.write(t),
      err: (t) => process.stderr.write(t),
    });
    if (argv.length === 0) {
      program.outputHelp();
      return 2;
    }
    await program.parseAsync([...argv], { from: 'user' });
    return runner.code;
  } catch (err) {
    // Help or the version was printed (0), or help was printed for a command given without its subcommand (usage: 2).
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    // The user's or the cluster's errors, not bugs: their message is the whole story.
    const expected = isExpected(err);
    // One line: the first line of the message (server messages may carry more).
    const message = (err instanceof Error ? err.message : String(err)).split('\n')[0];
    process.stderr.write(`Error: ${expected ? message : `unexpected failure: ${message}`}\n`);
    if (!expected && env['FLOTILLA_DEBUG'] === '1')
      process.stderr.write(`${(err as Error).stack ?? ''}\n`);
    return exitCodeOf(err);
  } finally {
    await runner.close();
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}
