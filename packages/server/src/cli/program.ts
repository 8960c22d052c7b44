// The `flotilla` command line, parsed by commander: per-command --help,
// global flags anywhere on the line, and every parse mistake as a UsageError
// that names the command and where its usage is.
import { Command, type ErrorOptions } from 'commander';
import { addAuthCommands } from './cmd-auth.js';
import { addClusterCommands } from './cmd-cluster.js';
import { addKvCommands } from './cmd-kv.js';
import { addLeaseCommands } from './cmd-lease.js';
import { addTxnWatchCommands } from './cmd-txn-watch.js';
import { UsageError } from './errors.js';
import { addGlobalOptions } from './globals.js';
import type { Runner } from './runner.js';
import { addSnapshotCommands } from './snapshot-command.js';
import { addStartCommand } from './start-command.js';
import { SERVER_VERSION } from '../http/handlers-cluster.js';

const ROOT_HELP = `
Global options may come anywhere on the line, before or after the command, as
with etcdctl: flotilla --endpoints=http://127.0.0.1:2379 put greeting hello
Durations are Go durations as etcdctl takes them (5s, 500ms, 1m30s); a bare
number is milliseconds. Every command has --help (flotilla put --help).
Exit codes: 0 done, 1 the command failed, 2 bad usage.`;

/** The words of a command's name from the root down, without "flotilla" (e.g. "lease grant"). */
export function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** Commander's message ("error: unknown option '--bogus'\n(Did you mean ...?)") as one line. */
function oneLine(message: string): string {
  return message
    .replace(/^error: /, '')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .join(' ')
    .replace(/\.$/, '');
}

/** A Command whose parse errors are thrown as UsageErrors (one line, exit 2) instead of printed. */
class FlotillaCommand extends Command {
  override createCommand(name?: string): FlotillaCommand {
    return new FlotillaCommand(name);
  }

  override error(message: string, _options?: ErrorOptions): never {
    const path = commandPath(this);
    throw new UsageError(
      `${path === '' ? '' : `${path}: `}${oneLine(message)}; see \`flotilla ${path === '' ? '' : `${path} `}--help\``,
    );
  }
}

export interface ProgramOutput {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

/** A fresh program per invocation (commander keeps parsed values on the command objects). */
export function buildProgram(runner: Runner, output: ProgramOutput): Command {
  const program = new FlotillaCommand('flotilla')
    .description(
      'a replicated key-value store (etcd v3 API) on Raft: a member (start) and etcdctl-like client commands',
    )
    .exitOverride()
    .configureOutput({ writeOut: output.out, writeErr: output.err })
    .showSuggestionAfterError(true)
    .configureHelp({ showGlobalOptions: true })
    .version(SERVER_VERSION, '--version', 'print the version')
    .addHelpText('after', ROOT_HELP);
  addGlobalOptions(program);
  addStartCommand(program, runner);
  addKvCommands(program, runner);
  addTxnWatchCommands(program, runner);
  addLeaseCommands(program, runner);
  addClusterCommands(program, runner);
  addSnapshotCommands(program, runner);
  addAuthCommands(program, runner);
  program
    .command('version')
    .description('print the version')
    .action(() => output.out(`${SERVER_VERSION}\n`));
  return program;
}
