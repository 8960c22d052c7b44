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
import { DEFAULT_BIN } from '@flotilla/server';
import { LinkProxy } from './link-proxy.js';
import { Network } from './network.js';
import { ProcessTarget, type ProcessMember } from './process-target.js';
import type { ClientOptions, Target } from './target.js';

export interface FlotillaTargetOptions {
  readonly size: number;
  readonly baseDir: string;
  /** Extra `flotilla start` flags for every node (e.g. timing). */
  readonly extraArgs?: readonly string[];
  readonly logLevel?: string;
}

interface Member extends ProcessMember {
  readonly peerPort: number;
  readonly dataDir: string;
  /** Peer URL of node j as node i sees it (j's proxy for i; i's own real URL for j = i). */
  readonly peerUrlFor: string[];
}

export class FlotillaTarget extends ProcessTarget<Member> implements Target {
  readonly kind = 'flotilla' as const;
  readonly #options: FlotillaTargetOptions;

  private constructor(options: FlotillaTargetOptions, network: Network, members: Member[]) {
    super(network, members);
    this.#options = options;
  }

  static async create(options: FlotillaTargetOptions): Promise<FlotillaTarget> {
    fs.mkdirSync(options.baseDir, { recursive: true });
    const network = new Network(options.size);
    const peerPorts: number[] = [];
    for (let i = 0; i < options.size; i++) peerPorts.push(await stablePort());
    const members: Member[] = [];
    for (let i = 0; i < options.size; i++) {
      const name = `n${i + 1}`;
      const peerUrlFor: string[] = [];
      for (let j = 0; j < options.size; j++) {
        if (i === j) {
          peerUrlFor.push(`http://127.0.0.1:${peerPorts[i]}`);
          continue;
        }
        const proxy = await LinkProxy.listen({ source: i, target: j, targetPort: peerPorts[j] as number, policy: network });
        network.adopt(proxy);
        peerUrlFor.push(proxy.url);
      }
      members.push({
        name,
        peerPort: peerPorts[i] as number,
        clientUrl: `http://127.0.0.1:${await stablePort()}`,
        dataDir: path.join(options.baseDir, name),
        logFile: path.join(options.baseDir, `${name}.log`),
        peerUrlFor,
        child: undefined,
      });
    }
    return new FlotillaTarget(options, network, members);
  }

  startArgs(node: number): string[] {
    const m = this.member(node);
    return [
      'start',
      '--name', m.name,
      '--data-dir', m.dataDir,
      '--listen-peer', `http://127.0.0.1:${m.peerPort}`,
      '--listen-client', m.clientUrl,
      '--initial-cluster', this.members.map((o) => `${o.name}=http://127.0.0.1:${o.peerPort}`).join(','),
      '--peer-route', this.members.flatMap((o, j) => (o === m ? [] : [`${o.name}=${m.peerUrlFor[j]}`])).join(','),
      '--initial-cluster-clients', this.members.map((o) => `${o.name}=${o.clientUrl}`).join(','),
      '--log-level', this.#options.logLevel ?? 'warn',
      ...(this.#options.extraArgs ?? []),
    ];
  }

  start(node: number, testArgs: readonly string[] = []): void {
    this.spawn(this.member(node), process.execPath, [DEFAULT_BIN, ...this.startArgs(node), ...testArgs]);
  }

  client(node: number, options: ClientOptions): KV {
    return remoteKv({
      endpoints: [this.member(node).clientUrl],
      discover: false,
      exactlyOnce: true,
      requestTimeoutMs: options.requestTimeoutMs,
      retry: { attemptsMax: 2, backoffInitialMs: 20, backoffMaxMs: 100 },
    });
  }

  /** The real peer URL of a node (what it listens on; the others reach it through their proxies). */
  peerUrl(node: number): string {
    return `http://127.0.0.1:${this.member(node).peerPort}`;
  }
}
