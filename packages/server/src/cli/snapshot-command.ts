// `flotilla snapshot save | verify | restore`: the command line. The work is
// in cmd-snapshot.ts, loaded only when a snapshot command runs (the backup
// library brings LevelDB and the node with it).
import { Option, type Command } from 'commander';
import { stringOption, type CommandContext } from './command.js';
import type { SnapshotContext } from './cmd-snapshot.js';
import type { Runner } from './runner.js';

type Opts = Record<string, unknown>;

const load = (): Promise<typeof import('./cmd-snapshot.js')> => import('./cmd-snapshot.js');

/** `snapshot save|verify|restore`; each resolves to its exit code (0 ok, 1 failed; usage errors throw). */
export function addSnapshotCommands(program: Command, runner: Runner): void {
  const snapshot = program
    .command('snapshot')
    .description('backups: save, verify, restore (progress on stderr, results on stdout)');
  snapshot
    .command('save')
    .description(
      'downloads a backup from the first endpoint, then verifies it by a restore into a scratch store',
    )
    .argument('<file>')
    .option('--no-verify', 'skip the restore test (the manifest is still read back)')
    .addHelpText(
      'after',
      '\n--command-timeout bounds the wait for the answer and every pause in the download, not the whole download.',
    )
    .action((file: string, opts: Opts, cmd: Command) =>
      runner.open(cmd, 'snapshot save', async (ctx) =>
        (await load()).save(snapshotContext(ctx), file, opts['verify'] !== false),
      ),
    );
  snapshot
    .command('verify')
    .description('restores a backup into a scratch store and checks it (exit 1 if bad)')
    .argument('<file>')
    .option('--scratch-dir <dir>', 'where to restore (default: a temporary directory)')
    .action((file: string, opts: Opts, cmd: Command) =>
      runner.open(cmd, 'snapshot verify', async (ctx) =>
        (await load()).verify(snapshotContext(ctx), file, stringOption(opts['scratchDir'])),
      ),
    );
  snapshot
    .command('restore')
    .description(
      'seeds one member of a NEW cluster from a backup (run once per member: same flags but --name/--data-dir)',
    )
    .argument('<file>')
    .option('--name <name>', 'the member this data directory is for')
    .option('--initial-cluster <members>', 'the NEW cluster: NAME=peerURL,...')
    .option('--data-dir <dir>', 'empty or absent directory')
    .option(
      '--cluster-token <token>',
      "the new cluster's token (default <old token>-restored-<8 hex of the file>)",
    )
    .addOption(new Option('--initial-cluster-token <token>', 'alias of --cluster-token').hideHelp())
    .option('--force', 'replace the contents of a non-empty --data-dir')
    .action((file: string, opts: Opts, cmd: Command) =>
      runner.open(cmd, 'snapshot restore', async (ctx) =>
        (await load()).restore(snapshotContext(ctx), file, opts),
      ),
    );
}

function snapshotContext(ctx: CommandContext): SnapshotContext {
  return {
    endpoints: ctx.globals.endpoints,
    timeoutMs: ctx.globals.commandTimeoutMs,
    out: ctx.out,
    err: ctx.err,
    signal: ctx.signal,
    tlsFetch: ctx.tlsFetch,
    authHeaders: () => ctx.api.authHeaders(),
  };
}
