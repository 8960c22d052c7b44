// Runs a Flotilla cluster as real `flotilla start` child processes on
// loopback (so SIGKILL is a real crash). Used by the demo and by the tests
// that drive the real binary. Every child is killed on close() and, as a
// last resort, when this process exits.
import { type ErrorCategory, FlotillaError } from '@flotilla/errors';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '@flotilla/transport';
import { Agent, fetch, type Dispatcher } from 'undici';

export interface ProcessMember {
  readonly name: string;
  readonly peerUrl: string;
  readonly clientUrl: string;
  readonly dataDir: string;
  readonly logFile: string;
  /** Set for a member added to a running cluster: it starts with --initial-cluster-state existing. */
  readonly founders?: readonly string[];
  child: ChildProcess | undefined;
}

export interface ProcessClusterOptions {
  readonly size?: number;
  /** Parent directory for data and logs. */
  readonly baseDir: string;
  readonly logLevel?: string;
  /** Extra flags for every `flotilla start`. */
  readonly extraArgs?: readonly string[];
  /** The bin to run; defaults to this package's bin/flotilla.js. */
  readonly bin?: string;
  /**
   * Run with TLS everywhere: HTTPS client ports with --client-cert-auth and
   * mutual TLS between peers. `dir` holds ca.crt and <name>.crt/.key for every
   * member and for `client` (tools/gen-certs.js makes them).
   */
  readonly tls?: { readonly dir: string };
}

/** The etcdctl-style flags a client needs to talk to a cluster started with `tls`. */
export function clientTlsArgs(dir: string): string[] {
  return [
    '--cacert',
    path.join(dir, 'ca.crt'),
    '--cert',
    path.join(dir, 'client.crt'),
    '--key',
    path.join(dir, 'client.key'),
  ];
}

/** The `flotilla start` TLS flags of member `name` (one CA for both ports, as in docs/security.md). */
export function memberTlsArgs(dir: string, name: string): string[] {
  const [ca, cert, key] = [
    path.join(dir, 'ca.crt'),
    path.join(dir, `${name}.crt`),
    path.join(dir, `${name}.key`),
  ];
  return [
    '--cert-file',
    cert,
    '--key-file',
    key,
    '--trusted-ca-file',
    ca,
    '--client-cert-auth',
    '--peer-cert-file',
    cert,
    '--peer-key-file',
    key,
    '--peer-trusted-ca-file',
    ca,
    '--peer-client-cert-auth',
  ];
}

export const DEFAULT_BIN = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../bin/flotilla.js',
);

/** A member process exited while the cluster was starting. */
export class MemberExitedError extends FlotillaError {
  readonly category: ErrorCategory = 'environment';
  override readonly name = 'MemberExitedError';
  constructor(
    readonly member: string,
    readonly logTail: string,
  ) {
    super(`member ${member} exited while starting; its log ends with:\n${logTail}`);
  }
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
}

export class ProcessCluster {
  readonly members: ProcessMember[];
  private readonly options: ProcessClusterOptions;
  /** For https:// client URLs: trusts the cluster's CA and shows the `client` certificate; undefined without TLS. */
  readonly dispatcher: Dispatcher | undefined;

  private constructor(options: ProcessClusterOptions, members: ProcessMember[]) {
    this.options = options;
    this.members = members;
    const dir = options.tls?.dir;
    this.dispatcher =
      dir === undefined
        ? undefined
        : new Agent({
            connect: {
              ca: fs.readFileSync(path.join(dir, 'ca.crt')),
              cert: fs.readFileSync(path.join(dir, 'client.crt')),
              key: fs.readFileSync(path.join(dir, 'client.key')),
            },
          });
  }

  private static async newMember(
    baseDir: string,
    name: string,
    scheme: 'http' | 'https',
    founders?: readonly string[],
  ): Promise<ProcessMember> {
    return {
      name,
      peerUrl: `${scheme}://127.0.0.1:${await freePort()}`,
      clientUrl: `${scheme}://127.0.0.1:${await freePort()}`,
      dataDir: path.join(baseDir, name),
      logFile: path.join(baseDir, `${name}.log`),
      ...(founders ? { founders } : {}),
      child: undefined,
    };
  }

  static async create(options: ProcessClusterOptions): Promise<ProcessCluster> {
    const size = options.size ?? 3;
    const members: ProcessMember[] = [];
    for (let i = 1; i <= size; i++)
      members.push(
        await ProcessCluster.newMember(options.baseDir, `n${i}`, options.tls ? 'https' : 'http'),
      );
    fs.mkdirSync(options.baseDir, { recursive: true });
    installExitHook();
    return new ProcessCluster(options, members);
  }

  /**
   * Plans a new member (ports, directories) for a running cluster; add it with
   * `flotilla member add` first, then start() it. It joins with the founders' names.
   */
  async planMember(name: string): Promise<ProcessMember> {
    const founders = this.members.filter((m) => !m.founders).map((m) => m.name);
    const m = await ProcessCluster.newMember(
      this.options.baseDir,
      name,
      this.options.tls ? 'https' : 'http',
      founders,
    );
    this.members.push(m);
    return m;
  }

  get endpoints(): string[] {
    return this.members.map((m) => m.clientUrl);
  }

  get initialCluster(): string {
    return this.members.map((m) => `${m.name}=${m.peerUrl}`).join(',');
  }

  get initialClusterClients(): string {
    return this.members.map((m) => `${m.name}=${m.clientUrl}`).join(',');
  }

  member(name: string): ProcessMember {
    const m = this.members.find((x) => x.name === name);
    if (!m) throw new RangeError(`no member named ${name}`);
    return m;
  }

  /** The command line that starts `member` (also printed by the demo for users). */
  startArgs(m: ProcessMember): string[] {
    return [
      'start',
      '--name',
      m.name,
      '--data-dir',
      m.dataDir,
      '--listen-peer',
      m.peerUrl,
      '--listen-client',
      m.clientUrl,
      '--initial-cluster',
      this.initialCluster,
      '--initial-cluster-clients',
      this.initialClusterClients,
      '--log-level',
      this.options.logLevel ?? 'warn',
      ...(m.founders
        ? ['--initial-cluster-state', 'existing', '--founders', m.founders.join(',')]
        : []),
      ...(this.options.tls
        ? [
            '--initial-cluster-token',
            'flotilla-secure-demo',
            ...memberTlsArgs(this.options.tls.dir, m.name),
          ]
        : []),
      ...(this.options.extraArgs ?? []),
    ];
  }

  start(name: string): void {
    const m = this.member(name);
    if (m.child && m.child.exitCode === null && m.child.signalCode === null) return;
    const log = fs.openSync(m.logFile, 'a');
    const child = spawn(process.execPath, [this.options.bin ?? DEFAULT_BIN, ...this.startArgs(m)], {
      stdio: ['ignore', log, log],
    });
    fs.closeSync(log);
    m.child = child;
    live.add(child);
    child.once('exit', () => {
      live.delete(child);
      if (m.child === child) m.child = undefined;
    });
  }

  startAll(): void {
    for (const m of this.members) this.start(m.name);
  }

  isRunning(name: string): boolean {
    return this.member(name).child !== undefined;
  }

  /** Sends `signal` and waits for the process to be gone. */
  async kill(name: string, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.member(name).child;
    if (!child) return;
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    await gone;
  }

  /** The last lines of a member's log (for error messages). */
  logTail(name: string, lines = 5): string {
    const file = this.member(name).logFile;
    return fs.existsSync(file)
      ? fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n')
      : '';
  }

  /**
   * Waits until every running member answers /health with a leader. Fails at
   * once, with the member's log, if a started member exits (e.g. its port
   * was taken between choosing and binding it).
   */
  async waitHealthy(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const started = this.members.filter((m) => m.child);
    for (;;) {
      const dead = started.find((m) => !m.child);
      if (dead) throw new MemberExitedError(dead.name, this.logTail(dead.name));
      const healthy = await Promise.all(
        started.map((m) =>
          fetch(`${m.clientUrl}/health`, {
            signal: AbortSignal.timeout(1_000),
            ...(this.dispatcher ? { dispatcher: this.dispatcher } : {}),
          }).then(
            (r) => r.ok,
            () => false,
          ),
        ),
      );
      if (healthy.every(Boolean)) return;
      if (Date.now() > deadline)
        throw new Error(
          `members not healthy within ${timeoutMs} ms: ${started
            .filter((_, i) => !healthy[i])
            .map((m) => m.name)
            .join(', ')}`,
        );
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.members.map((m) => this.kill(m.name, 'SIGKILL')));
    await this.dispatcher?.destroy().catch(() => undefined);
  }
}
