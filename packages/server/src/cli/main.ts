// The `flotilla` command line. Every user error is one line on stderr and a
// non-zero exit (1 for a failed command, 2 for bad usage); unexpected errors
// (bugs) still print one line, plus the stack only with FLOTILLA_DEBUG=1.
import fs from 'node:fs';
import type { KV } from '@flotilla/client';
import { cmdEndpoint, cmdMember, cmdMoveLeader } from './cmd-cluster.js';
import { cmdDel, cmdGet, cmdPut } from './cmd-kv.js';
import { cmdLease } from './cmd-lease.js';
import { cmdTxn, cmdWatch } from './cmd-txn-watch.js';
import type { CommandContext } from './command.js';
import { exitCodeOf, UsageError } from './errors.js';
import { extractGlobals } from './globals.js';
import { HttpApi } from './http-api.js';
import { USAGE } from './usage.js';
import { SERVER_VERSION } from '../http/handlers-cluster.js';

type ClientCommand = (ctx: CommandContext, args: readonly string[]) => Promise<void>;

const CLIENT_COMMANDS: Record<string, ClientCommand> = {
  put: cmdPut,
  get: cmdGet,
  del: cmdDel,
  txn: cmdTxn,
  watch: cmdWatch,
  lease: cmdLease,
  member: cmdMember,
  endpoint: cmdEndpoint,
  'move-leader': cmdMoveLeader,
};

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

/**
 * Errors that are the user's or the cluster's, not bugs: their message is the
 * whole story. The client's and the store's typed errors say what to do.
 */
const EXPECTED_ERRORS = new Set([
  'UsageError', 'CliError',
  'UnknownOutcomeError', 'UnavailableError', 'WatchCanceledError', 'ProtocolError', 'ClientClosedError',
  'KeyTooLargeError', 'ValueTooLargeError', 'TooManyOpsError', 'RequestTooLargeError', 'CompactedError', 'FutureRevisionError',
  'LeaseNotFoundError', 'LeaseExistsError', 'KeyNotFoundError', 'InvalidRequestError', 'StaleSequenceError', 'SessionExpiredError',
]);

/** The remote backend of @flotilla/client, loaded only by the commands that need it. */
async function openKv(endpoints: readonly string[], timeoutMs: number): Promise<KV> {
  const { remoteKv } = await import('@flotilla/client');
  return remoteKv({ endpoints, requestTimeoutMs: timeoutMs });
}

/** Runs one CLI invocation; resolves to the exit code. */
export async function run(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let kv: Promise<KV> | undefined;
  const controller = new AbortController();
  const stop = (): void => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const [command, ...args] = argv;
    if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
      process.stdout.write(USAGE);
      return command === undefined ? 2 : 0;
    }
    if (command === 'version' || command === '--version') {
      process.stdout.write(`${SERVER_VERSION}\n`);
      return 0;
    }
    if (command === 'start') {
      // Loaded only here: client commands start fast without LevelDB and the node.
      const { cmdStart } = await import('./cmd-start.js');
      return await cmdStart(args, env, controller.signal);
    }
    if (command === 'snapshot') {
      // Loaded only here: the backup library brings LevelDB and the node with it.
      const { cmdSnapshot } = await import('./cmd-snapshot.js');
      const globals = extractGlobals(args, env);
      return await cmdSnapshot({
        endpoints: globals.endpoints,
        timeoutMs: globals.timeoutMs,
        out: (line) => process.stdout.write(`${line}\n`),
        err: (line) => process.stderr.write(`${line}\n`),
        signal: controller.signal,
      }, globals.rest);
    }
    const handler = CLIENT_COMMANDS[command];
    if (!handler) throw new UsageError(`unknown command ${JSON.stringify(command)}; run \`flotilla help\``);
    const globals = extractGlobals(args, env);
    const ctx: CommandContext = {
      api: new HttpApi({ endpoints: globals.endpoints, timeoutMs: globals.timeoutMs }),
      kv: () => (kv ??= openKv(globals.endpoints, globals.timeoutMs)),
      out: (line) => process.stdout.write(`${line}\n`),
      signal: controller.signal,
      readStdin,
    };
    await handler(ctx, globals.rest);
    return 0;
  } catch (err) {
    const expected = err instanceof Error && EXPECTED_ERRORS.has(err.name);
    // One line: the first line of the message (server messages may carry more).
    const message = (err instanceof Error ? err.message : String(err)).split('\n')[0];
    process.stderr.write(`Error: ${expected ? message : `unexpected failure: ${message}`}\n`);
    if (!expected && env['FLOTILLA_DEBUG'] === '1') process.stderr.write(`${(err as Error).stack ?? ''}\n`);
    return exitCodeOf(err);
  } finally {
    await kv?.then((k) => k.close()).catch(() => undefined);
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}
