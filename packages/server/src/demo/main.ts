// `pnpm demo`: three real `flotilla start` processes on loopback, and a
// walk-through: election, writes seen by a watch, reads from every member,
// SIGKILL of the leader with the measured failover time (RTO), restart and
// catch-up with each follower's state latency, and a check that no
// acknowledged write was lost. Non-interactive with --ci, CI=true or no TTY.
// --secure runs the same walk-through with TLS everywhere (certificates made
// at run time by tools/gen-certs.js, never kept) and auth on (root, and a
// user `demo` limited to demo/ whose token the walk-through uses).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { setGlobalDispatcher } from 'undici';
import { memberIdOf } from '../cli/ids.js';
import { DEMO_PREFIX, demoCredentials, enableAuth, type DemoCredentials } from './auth-setup.js';
import { clientTlsArgs, ProcessCluster, type ProcessMember } from './process-cluster.js';
import { b64 } from './probe.js';
import { LiveTable, statusTable } from './status-table.js';
import { Walkthrough } from './walkthrough.js';

interface DemoArgs {
  readonly dir: string | undefined;
  readonly ci: boolean;
  readonly keep: boolean;
  readonly secure: boolean;
}

function parseDemoArgs(argv: readonly string[]): DemoArgs {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      dir: { type: 'string' },
      ci: { type: 'boolean' },
      keep: { type: 'boolean' },
      secure: { type: 'boolean' },
      help: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(
      [
        'pnpm demo [--dir DIR] [--ci] [--keep] [--secure]',
        '  --dir     keep data and logs here (default: a temporary directory, removed at the end)',
        '  --ci      non-interactive output (also when CI=true or stdout is not a TTY)',
        '  --keep    leave the cluster running at the end, until Ctrl-C',
        '  --secure  TLS everywhere (HTTPS client ports with client-certificate auth, mutual TLS between peers) and auth on (users root and demo)',
        '            (certificates made now with openssl in DIR/certs; see docs/security.md)',
        '',
      ].join('\n'),
    );
    process.exit(0);
  }
  const ci = values.ci === true || process.env['CI'] === 'true' || !process.stdout.isTTY;
  // --keep holds without a terminal too (a script or a service manager starting the demo): it
  // stops on SIGINT or SIGTERM either way.
  return { dir: values.dir, ci, keep: values.keep === true, secure: values.secure === true };
}

/** tools/gen-certs.js, at the repository root (the demo runs from the repository). */
interface GenCerts {
  generateCerts(dir: string, names: readonly string[]): { ca: string };
}

/**
 * --secure: a CA and certificates for n1..n3 and the demo's own client, made
 * now in `dir`. Every fetch of this process (the walk-through, the status
 * table) then trusts that CA and shows the client certificate.
 * Users, roles and auth enable come once the cluster has a leader (auth-setup.ts).
 */
async function secureSetup(dir: string): Promise<void> {
  const script = path.resolve(
    path.dirname(fileURLToPath(import.meta.url)),
    '../../../../tools/gen-certs.js',
  );
  const { generateCerts } = (await import(pathToFileURL(script).href)) as GenCerts;
  generateCerts(dir, ['n1', 'n2', 'n3', 'client']);
}

async function main(): Promise<number> {
  let args: DemoArgs;
  try {
    args = parseDemoArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`Error: ${(err as Error).message}\n`);
    return 2;
  }
  const baseDir = args.dir
    ? path.resolve(args.dir)
    : fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-demo-'));
  const certDir = path.join(baseDir, 'certs');
  if (args.secure) {
    try {
      await secureSetup(certDir);
    } catch (err) {
      process.stderr.write(
        `Error: --secure could not make certificates: ${(err as Error).message}\n`,
      );
      if (!args.dir) fs.rmSync(baseDir, { recursive: true, force: true });
      return 1;
    }
  }
  const cluster = await ProcessCluster.create({
    baseDir,
    logLevel: 'warn',
    ...(args.secure ? { tls: { dir: certDir } } : {}),
  });
  if (cluster.dispatcher) setGlobalDispatcher(cluster.dispatcher);
  if (args.secure)
    process.stdout.write(
      `Secure mode: certificates in ${certDir}; HTTPS client ports with --client-cert-auth, mutual TLS between peers; auth is enabled once a leader is elected.\n`,
    );
  const names = new Map(cluster.members.map((m) => [memberIdOf(m.name), m.name]));
  const render = (): Promise<string> =>
    statusTable(
      cluster.members.map((m) => ({
        name: m.name,
        clientUrl: m.clientUrl,
        running: cluster.isRunning(m.name),
      })),
      names,
    );
  const live = new LiveTable(render, !args.ci);

  let cleaning: Promise<void> | undefined;
  const cleanup = (): Promise<void> =>
    (cleaning ??= (async () => {
      live.stop();
      await cluster.close();
      if (!args.dir) fs.rmSync(baseDir, { recursive: true, force: true });
    })());
  let interrupted = false;
  const onSignal = (): void => {
    interrupted = true;
    process.stdout.write('\nInterrupted: stopping the cluster.\n');
    void cleanup().then(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    const print = (line: string): void => void process.stdout.write(`${line}\n`);
    const creds = args.secure ? demoCredentials() : undefined;
    const afterElection = creds
      ? (leader: ProcessMember) => enableAuth(leader, creds, print)
      : undefined;
    const walk = new Walkthrough({
      cluster,
      names,
      live,
      render,
      print,
      ...(afterElection ? { afterElection } : {}),
    });
    await walk.run();
    if (args.keep) {
      printHowToContinue(cluster, true, args.secure ? certDir : undefined, creds);
      process.stdout.write('\nThe cluster keeps running. Press Ctrl-C to stop it.\n');
      await new Promise<never>(() => {});
    }
    printHowToContinue(cluster, false, args.secure ? certDir : undefined, creds);
    return 0;
  } catch (err) {
    if (interrupted) {
      await cleanup();
      return 130;
    }
    process.stderr.write(
      `\nDemo failed: ${(err as Error).message}\nLogs of the members: ${baseDir}/n*.log${args.dir ? '' : ' (removed on exit; pass --dir to keep them)'}\n`,
    );
    if (!args.dir) {
      for (const m of cluster.members) {
        const tail = fs.existsSync(m.logFile)
          ? fs.readFileSync(m.logFile, 'utf8').split('\n').slice(-5).join('\n')
          : '';
        if (tail.trim()) process.stderr.write(`--- ${m.name}.log (last lines)\n${tail}\n`);
      }
    }
    return 1;
  } finally {
    await cleanup();
  }
}

function printHowToContinue(
  cluster: ProcessCluster,
  running: boolean,
  certDir: string | undefined,
  creds: DemoCredentials | undefined,
): void {
  const endpoints = cluster.endpoints.join(',');
  const cli = `node packages/server/bin/flotilla.js --endpoints ${endpoints}${certDir ? ` ${clientTlsArgs(certDir).join(' ')}` : ''}`;
  const curl = `curl -s${certDir ? ` --cacert ${path.join(certDir, 'ca.crt')} --cert ${path.join(certDir, 'client.crt')} --key ${path.join(certDir, 'client.key')}` : ''}`;
  const lines = [
    '',
    running
      ? 'Talk to the running cluster:'
      : `To keep a cluster running and talk to it yourself: \`pnpm demo --keep${certDir ? ' --secure' : ''}\` (or start members with \`flotilla start\`, see \`node packages/server/bin/flotilla.js help\`), then:`,
    ...(creds
      ? authCommands(cli, curl, cluster.endpoints[0]!, creds)
      : plainCommands(cli, curl, cluster.endpoints[0]!)),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

function plainCommands(cli: string, curl: string, first: string): string[] {
  return [
    `  ${cli} put greeting hello`,
    `  ${cli} get demo/ --prefix --limit 3`,
    `  ${cli} endpoint status --cluster`,
    `  ${cli} watch greeting`,
    `  ${curl} -X POST ${first}/v3/kv/put -d '{"key":"${b64('greeting')}","value":"${b64('hello')}"}'`,
    `  ${curl} -X POST ${first}/v3/kv/range -d '{"key":"${b64('greeting')}"}'`,
    `  ${curl} ${first}/metrics | grep flotilla_`,
  ];
}

/** With auth on: the demo user for its keys, root for the rest, and a token for curl. */
function authCommands(cli: string, curl: string, first: string, creds: DemoCredentials): string[] {
  const user = `--user ${creds.user}:${creds.password}`;
  const root = `--user root:${creds.rootPassword}`;
  return [
    `  (auth is on: ${creds.user} may read and write ${DEMO_PREFIX}*; root manages users, roles and the cluster)`,
    `  ${cli} ${user} put ${DEMO_PREFIX}greeting hello`,
    `  ${cli} ${user} get ${DEMO_PREFIX} --prefix --limit 3`,
    `  ${cli} ${user} watch ${DEMO_PREFIX}greeting`,
    `  ${cli} ${root} endpoint status --cluster`,
    `  ${cli} ${root} user list`,
    `  TOKEN=$(${curl} -X POST ${first}/v3/auth/authenticate -d '{"name":"${creds.user}","password":"${creds.password}"}' | jq -r .token)`,
    `  ${curl} -H "Authorization: $TOKEN" -X POST ${first}/v3/kv/range -d '{"key":"${b64(`${DEMO_PREFIX}greeting`)}"}'`,
    `  ${curl} ${first}/metrics | grep flotilla_`,
  ];
}

process.exitCode = await main();
process.exit();
