// `flotilla start`: the command line. Every setting has a flag (and an
// etcd-style alias where etcd's name differs), an environment variable and a
// config-file key (config.ts); the member itself is in cmd-start.ts, loaded
// only when `start` runs (it brings LevelDB and the node with it).
import { Option, type Command } from 'commander';
import {
  BOOLEAN_SETTINGS,
  envName,
  SETTINGS,
  TEST_FAULT_FLAGS,
  type SettingName,
} from './config.js';
import type { Runner } from './runner.js';

const SETTING_HELP: Record<SettingName, [string, string]> = {
  name: ['<name>', 'this member\'s name; its id derives from it (default "default")'],
  dataDir: ['<dir>', 'where the member keeps its data (default <name>.flotilla)'],
  listenPeer: ['<url>', 'where it listens for peers (default: its --initial-cluster entry)'],
  listenClient: ['<url>', 'where it serves clients (default http://127.0.0.1:2379)'],
  advertiseClient: ['<url>', 'the client URL it announces (default --listen-client)'],
  initialCluster: ['<members>', 'the founding members: NAME=peerURL,...'],
  initialClusterClients: [
    '<members>',
    'their client URLs: NAME=clientURL,... (for member list and endpoint status --cluster)',
  ],
  initialClusterState: ['<state>', 'new (default) or existing (joining with --founders)'],
  peerRoute: [
    '<routes>',
    'dial member NAME at URL instead of its announced peer URL (proxies, NAT): NAME=URL,...; local, never replicated',
  ],
  clusterToken: ['<token>', 'the cluster id (default flotilla)'],
  logLevel: [
    '<level>',
    'fatal, error, warn, info (default), debug, trace or silent; logs are JSON on stderr',
  ],
  tickMs: ['<ms>', 'Raft tick length in ms'],
  electionTicks: ['<n>', 'election timeout in ticks'],
  heartbeatTicks: ['<n>', 'heartbeat interval in ticks'],
  snapshotEntries: ['<n>', 'entries between Raft snapshots'],
  backupDir: ['<dir>', 'scheduled verified backups go here (with --backup-interval)'],
  backupInterval: ['<ms>', 'a backup every ms (with --backup-dir)'],
  backupRetain: ['<n>', 'backups kept (default 8)'],
  certFile: [
    '<file>',
    'PEM certificate the client port presents: HTTPS there (with --key-file; --listen-client is then https://)',
  ],
  keyFile: ['<file>', 'its PEM key'],
  trustedCaFile: ['<file>', 'PEM CA that client certificates must chain to'],
  clientCertAuth: [
    '',
    'require a client certificate from that CA on every connection (needs --trusted-ca-file)',
  ],
  peerCertFile: [
    '<file>',
    'PEM certificate for mutual TLS between peers (with --peer-key-file and --peer-trusted-ca-file; peer URLs are then https://); it names this member (SAN URI urn:flotilla:member:NAME or CN)',
  ],
  peerKeyFile: ['<file>', 'its PEM key'],
  peerTrustedCaFile: ['<file>', "PEM CA that peers' certificates must chain to"],
  peerClientCertAuth: [
    '',
    'require a certificate from every dialing peer (off unless given, as in etcd: give it)',
  ],
  peerCertAllowedCn: ['<cn>', 'every peer certificate must have this subject CN'],
  bodyBytesMax: [
    '<bytes>',
    'largest request body on the client port (default 2.75 MiB); larger: 429',
  ],
  inflightBodyBytesMax: [
    '<bytes>',
    'request body bytes handled at once (default 8 MiB, taken from Content-Length); beyond: 429',
  ],
  headersTimeout: [
    '<duration>',
    'time a client has to send its request headers (default 10s); then 408 and close',
  ],
  requestTimeout: [
    '<duration>',
    'time a client has to send its whole request (default 30s); then 408 and close',
  ],
  connectionsMax: ['<n>', 'open client connections (default 10000); more are closed at once'],
  watchStreamsMax: ['<n>', 'open watch streams (default 10000); more: 429'],
  watchStreamsPerConnectionMax: [
    '<n>',
    'open watch streams on one connection (default 16); more: 429',
  ],
  watchStreamBufferBytesMax: [
    '<bytes>',
    'unsent bytes of one watch stream (default 4 MiB); beyond, the watch is cancelled as slow',
  ],
};

const TEST_FAULT_HELP: Record<(typeof TEST_FAULT_FLAGS)[number], string> = {
  'test-clock-rate': "TEST ONLY: this member's clock runs at R times real time (> 0)",
  'test-clock-offset-ms': 'TEST ONLY: and is shifted by MS (negative: --test-clock-offset-ms=-500)',
  'test-fsync-delay-ms': 'TEST ONLY: wait MS after every synced write (a slow disk)',
  'test-worker-exit-after-ms':
    "TEST ONLY: the node's worker thread exits MS after start (the member then exits non-zero)",
  'test-fail-writes-after-ms':
    'TEST ONLY: every Raft log write fails (EIO) from MS after start (the member then exits non-zero)',
};

const START_HELP = `
Settings: flags > environment (FLOTILLA_NAME, FLOTILLA_DATA_DIR, ...: FLOTILLA_ + the
setting in upper snake case; FLOTILLA_CONFIG, FLOTILLA_FOUNDERS) > --config file
(keys name, dataDir, listenPeer, ...) > defaults. Member ids derive from names.
TLS (docs/security.md): --cert-file/--key-file make the client port HTTPS, the
--peer-* flags turn on mutual TLS between peers; write those URLs https://. An
on/off setting is true or false in the environment and the file
(FLOTILLA_CLIENT_CERT_AUTH=true, "peerClientCertAuth": true).
--force-new-cluster and the TEST ONLY flags are flags only (never env or file):
remove --force-new-cluster on later restarts; never use TEST ONLY flags in production.
SIGINT/SIGTERM stop the member cleanly.`;

export function addStartCommand(program: Command, runner: Runner): void {
  const start = program
    .command('start')
    .description('runs a member of a cluster until SIGINT/SIGTERM')
    .option('--config <file>', 'JSON file of settings (env FLOTILLA_CONFIG)')
    .option(
      '--founders <names>',
      'names of the founding voters, for a member joining an existing cluster (member add prints them)',
    )
    // Flag only (no environment or file setting): it must not outlive the one start that needs it.
    .option(
      '--force-new-cluster',
      'a lone survivor becomes a one-voter cluster; remove the flag on later restarts',
    )
    .option(
      '--node-thread <mode>',
      'worker (default): the Raft node runs in a worker thread of its own, so a busy HTTP side cannot delay heartbeats or elections; inline: in the main event loop (for comparison); env FLOTILLA_NODE_THREAD',
    )
    .option(
      '--listen-client-grpc <url>',
      "also serve etcd's gRPC API on this separate URL (it is served on --listen-client too, for plain HTTP); env FLOTILLA_LISTEN_CLIENT_GRPC",
    );
  for (const [setting, flags] of Object.entries(SETTINGS) as [SettingName, readonly string[]][]) {
    const [arg, help] = SETTING_HELP[setting];
    const [flag, ...aliases] = flags as readonly [string, ...string[]];
    const spec = BOOLEAN_SETTINGS.has(setting) ? `--${flag}` : `--${flag} ${arg}`;
    const aliasNote =
      aliases.length > 0 ? ` (alias ${aliases.map((a) => `--${a}`).join(', ')})` : '';
    start.addOption(new Option(spec, `${help}; env ${envName(setting)}${aliasNote}`));
    for (const alias of aliases) start.addOption(new Option(`--${alias} ${arg}`).hideHelp());
  }
  // TEST ONLY fault flags (the fault suite's nemeses): flags only, like --force-new-cluster.
  for (const flag of TEST_FAULT_FLAGS)
    start.addOption(new Option(`--${flag} <value>`, TEST_FAULT_HELP[flag]));
  start.addHelpText('after', START_HELP);
  // Not through runner.open: a member needs none of the client flags (a stale FLOTILLA_COMMAND_TIMEOUT must not stop it).
  start.action(async (_opts: Record<string, unknown>, cmd: Command) => {
    // cmd-start reads the flags by their names on the command line (`data-dir`), as config.ts names them.
    const values: Record<string, string | boolean | undefined> = {};
    for (const option of cmd.options) {
      const value = cmd.getOptionValue(option.attributeName()) as string | boolean | undefined;
      if (value !== undefined && option.long) values[option.long.slice(2)] = value;
    }
    const { cmdStart } = await import('./cmd-start.js');
    runner.code = await cmdStart(values, runner.io.env, runner.io.signal);
  });
}
