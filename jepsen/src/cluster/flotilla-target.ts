// A Flotilla cluster of real `flotilla start` processes (the built bin) whose
// peer traffic runs through one proxy per ordered pair of nodes: node i is
// told that peer j lives at proxy[i→j], which forwards to j's real peer port.
// Every node gets the same --initial-cluster (the REAL peer URLs, which
// member list shows and a re-added member is announced with) and its own
// --peer-route (dial j at proxy[i→j]): a route wins wherever a peer address
// reaches the transport, the initial cluster and member add alike, so a member
// removed and re-added by the churn nemesis stays behind the proxies. That
// per-node routing is why this does not reuse packages/server's ProcessCluster.
import fs from 'node:fs';
import path from 'node:path';
import { remoteKv, type KV } from '@flotilla/client';
import { stablePort } from './ports.js';
import { DEFAULT_BIN } from '@flotilla/server/process-cluster';
import { LinkProxy } from './link-proxy.js';
import { Network } from './network.js';
import { ProcessTarget, type ProcessMember } from './process-target.js';
import type { RequestSetup } from './flotilla-members.js';
import {
  enableRootAuth,
  makeSecureSetup,
  rootHeaders,
  secureFetch,
  secureStartArgs,
  type SecureSetup,
} from './secure.js';
import { grpcClient, CLIENT_RETRY } from './clients.js';
import type { ClientKind, ClientOptions, Target } from './target.js';

export interface FlotillaTargetOptions {
  readonly size: number;
  readonly baseDir: string;
  /** Extra `flotilla start` flags for every node (e.g. timing). */
  readonly extraArgs?: readonly string[];
  readonly logLevel?: string;
  /** TLS everywhere and auth on (root): `pnpm jepsen --secure`. */
  readonly secure?: boolean;
  /** The clients' protocol (default http); grpc needs a plain-HTTP client port, so not with `secure`. */
  readonly client?: ClientKind;
}

interface Member extends ProcessMember {
  readonly peerPort: number;
  readonly dataDir: string;
  /** Peer URL of node j as node i sees it (j's proxy for i; i's own real URL for j = i). */
  readonly peerUrlFor: string[];
}

export class FlotillaTarget extends ProcessTarget<Member> implements Target {
  readonly kind = 'flotilla' as const;
  readonly clientKind: ClientKind;
  readonly #options: FlotillaTargetOptions;
  /** Certificates and the root password with --secure; undefined otherwise. */
  readonly secure: SecureSetup | undefined;
  /** Set once root exists and auth is on: the workloads' clients log in from then on. */
  #authOn = false;

  private constructor(
    options: FlotillaTargetOptions,
    network: Network,
    members: Member[],
    secure: SecureSetup | undefined,
  ) {
    super(network, members);
    this.#options = options;
    this.secure = secure;
    this.clientKind = options.client ?? 'http';
  }

  static async create(options: FlotillaTargetOptions): Promise<FlotillaTarget> {
    fs.mkdirSync(options.baseDir, { recursive: true });
    const network = new Network(options.size);
    const secure = options.secure
      ? makeSecureSetup(
          options.baseDir,
          Array.from({ length: options.size }, (_, i) => `n${i + 1}`),
        )
      : undefined;
    // The proxies pass TLS through untouched; the scheme tells each node to speak TLS to them.
    const scheme = secure ? 'https' : 'http';
    const peerPorts: number[] = [];
    for (let i = 0; i < options.size; i++) peerPorts.push(await stablePort());
    const members: Member[] = [];
    for (let i = 0; i < options.size; i++) {
      const name = `n${i + 1}`;
      const peerUrlFor: string[] = [];
      for (let j = 0; j < options.size; j++) {
        if (i === j) {
          peerUrlFor.push(`${scheme}://127.0.0.1:${peerPorts[i]}`);
          continue;
        }
        const proxy = await LinkProxy.listen({
          source: i,
          target: j,
          targetPort: peerPorts[j] as number,
          policy: network,
        });
        network.adopt(proxy);
        peerUrlFor.push(proxy.url.replace(/^http:/, `${scheme}:`));
      }
      members.push({
        name,
        peerPort: peerPorts[i] as number,
        clientUrl: `${scheme}://127.0.0.1:${await stablePort()}`,
        dataDir: path.join(options.baseDir, name),
        logFile: path.join(options.baseDir, `${name}.log`),
        peerUrlFor,
        child: undefined,
      });
    }
    return new FlotillaTarget(options, network, members, secure);
  }

  startArgs(node: number): string[] {
    const m = this.member(node);
    return [
      'start',
      '--name',
      m.name,
      '--data-dir',
      m.dataDir,
      '--listen-peer',
      this.peerUrl(node),
      '--listen-client',
      m.clientUrl,
      '--initial-cluster',
      this.members.map((_, j) => `${this.names[j]}=${this.peerUrl(j)}`).join(','),
      '--peer-route',
      this.members.flatMap((o, j) => (o === m ? [] : [`${o.name}=${m.peerUrlFor[j]}`])).join(','),
      '--initial-cluster-clients',
      this.members.map((o) => `${o.name}=${o.clientUrl}`).join(','),
      '--log-level',
      this.#options.logLevel ?? 'warn',
      ...(this.secure ? secureStartArgs(this.secure, m.name) : []),
      ...(this.#options.extraArgs ?? []),
    ];
  }

  start(node: number, testArgs: readonly string[] = []): void {
    this.spawn(this.member(node), process.execPath, [
      DEFAULT_BIN,
      ...this.startArgs(node),
      ...testArgs,
    ]);
  }

  client(node: number, options: ClientOptions): KV {
    const login =
      this.secure && this.#authOn && options.anonymous !== true
        ? { username: 'root', password: this.secure.rootPassword }
        : undefined;
    if (this.clientKind === 'grpc')
      return grpcClient(
        this.member(node).clientUrl,
        options,
        true,
        this.secure ? { tls: this.secure.clientTls, ...(login ? { auth: login } : {}) } : undefined,
      );
    return remoteKv({
      endpoints: [this.member(node).clientUrl],
      discover: false,
      exactlyOnce: true,
      requestTimeoutMs: options.requestTimeoutMs,
      retry: CLIENT_RETRY,
      ...(this.secure ? { tls: this.secure.clientTls } : {}),
      ...(this.secure && this.#authOn && options.anonymous !== true
        ? { auth: { user: 'root', password: this.secure.rootPassword } }
        : {}),
    });
  }

  /**
   * --secure: root and auth enable through `node`, once the cluster has a leader. Then checks
   * that it holds: a client without credentials is refused a write. Returns a note for the report.
   */
  async prepare(node: number): Promise<string> {
    if (!this.secure) return 'plain: no TLS, no auth';
    await enableRootAuth(this.secure, this.member(node).clientUrl, 5_000);
    this.#authOn = true;
    const anonymous = this.client(node, { requestTimeoutMs: 5_000, anonymous: true });
    try {
      const refused = await anonymous.put('jepsen-secure-check', 'x').then(
        () => undefined,
        (err: Error) => err.name,
      );
      if (refused !== 'InvalidAuthTokenError' && refused !== 'UserEmptyError')
        throw new Error(
          `--secure: a write without credentials was ${refused === undefined ? 'accepted' : `refused with ${refused}`} after auth enable`,
        );
    } finally {
      await anonymous.close();
    }
    return `secure: HTTPS client ports with client certificates, peer mTLS through the proxies, auth enabled (a write without credentials is refused; the clients log in as root); certificates in ${this.secure.certDir}`;
  }

  /** What the suite's own JSON calls need: the TLS agent and, with auth on, root's token (logged in through `node`). */
  async requestInit(node: number, timeoutMs: number): Promise<RequestSetup> {
    if (!this.secure) return { fetch, headers: {} };
    const headers = this.#authOn
      ? await rootHeaders(this.secure, this.member(node).clientUrl, timeoutMs)
      : {};
    return { fetch: secureFetch(this.secure), headers };
  }

  override async close(): Promise<void> {
    await super.close();
    await this.secure?.dispatcher.close();
  }

  /** The real peer URL of a node (what it listens on; the others reach it through their proxies). */
  peerUrl(node: number): string {
    return `${this.secure ? 'https' : 'http'}://127.0.0.1:${this.member(node).peerPort}`;
  }
}
