// A real etcd 3.4 cluster (Debian's etcd-server) as the control target. Each
// member advertises a proxy as its peer URL (--initial-advertise-peer-urls /
// --initial-cluster) and listens on its real port behind it. etcd's peer
// membership is global, so there is one proxy per member rather than per
// pair; the proxy learns which member dials from the `X-Server-From` header
// etcd puts on every peer request (stream, pipeline, snapshot), and etcd's
// member ids come from the JSON gateway's member list once it is up.
import fs from 'node:fs';
import path from 'node:path';
import type { KV } from '@flotilla/client';
import { findEtcdBinary } from '@flotilla/testkit';
import { stablePort } from './ports.js';
import { LinkProxy } from './link-proxy.js';
import { Network } from './network.js';
import { ProcessTarget, type ProcessMember } from './process-target.js';
import { etcdGatewayClient, grpcClient } from './clients.js';
import type { ClientKind, ClientOptions, Target } from './target.js';

export interface EtcdTargetOptions {
  readonly size: number;
  readonly baseDir: string;
  readonly binary?: string;
  /** The clients' protocol (default grpc, etcd's own); http is the JSON gateway through remoteKv. */
  readonly client?: ClientKind;
}

interface Member extends ProcessMember {
  readonly peerPort: number;
  readonly proxyUrl: string;
  readonly dataDir: string;
}

const HEADER = /\r\nx-server-from:\s*([0-9a-f]+)\r\n/i;

/** The sender of an etcd peer request, from its headers. */
export function sniffServerFrom(head: Buffer): string | undefined | 'more' {
  const text = head.toString('latin1');
  const match = HEADER.exec(text);
  if (match) return (match[1] as string).toLowerCase();
  return text.includes('\r\n\r\n') ? undefined : 'more';
}

export class EtcdTarget extends ProcessTarget<Member> implements Target {
  readonly kind = 'etcd' as const;
  readonly clientKind: ClientKind;
  /** etcd member id in hex (as in X-Server-From) → node index; the proxies resolve through it. */
  readonly #hexMap: Map<string, number>;
  readonly #binary: string;
  readonly #token: string;

  private constructor(
    network: Network,
    members: Member[],
    binary: string,
    hexMap: Map<string, number>,
    clientKind: ClientKind,
  ) {
    super(network, members);
    this.clientKind = clientKind;
    this.#binary = binary;
    this.#hexMap = hexMap;
    this.#token = `jepsen-${process.pid}-${Date.now()}`;
  }

  static async create(options: EtcdTargetOptions): Promise<EtcdTarget> {
    const binary = findEtcdBinary(options.binary);
    fs.mkdirSync(options.baseDir, { recursive: true });
    const network = new Network(options.size);
    const members: Member[] = [];
    const hexIndex = new Map<string, number>();
    for (let i = 0; i < options.size; i++) {
      const peerPort = await stablePort();
      const proxy = await LinkProxy.listen({
        target: i,
        targetPort: peerPort,
        source: { sniff: sniffServerFrom, resolve: (hex) => hexIndex.get(hex) },
        policy: network,
      });
      network.adopt(proxy);
      const name = `etcd${i + 1}`;
      members.push({
        name,
        peerPort,
        proxyUrl: proxy.url,
        clientUrl: `http://127.0.0.1:${await stablePort()}`,
        dataDir: path.join(options.baseDir, name),
        logFile: path.join(options.baseDir, `${name}.log`),
        child: undefined,
      });
    }
    return new EtcdTarget(network, members, binary, hexIndex, options.client ?? 'grpc');
  }

  start(node: number, testArgs: readonly string[] = []): void {
    // etcd has no clock or disk fault flags; run.ts leaves restart faults out for etcd.
    if (testArgs.length > 0)
      throw new RangeError(
        `etcd takes no test fault flags (${testArgs.join(' ')}); the clock and slow-disk nemeses are Flotilla only`,
      );
    const m = this.member(node);
    this.spawn(m, this.#binary, [
      '--name',
      m.name,
      '--data-dir',
      m.dataDir,
      '--listen-client-urls',
      m.clientUrl,
      '--advertise-client-urls',
      m.clientUrl,
      '--listen-peer-urls',
      `http://127.0.0.1:${m.peerPort}`,
      '--initial-advertise-peer-urls',
      m.proxyUrl,
      '--initial-cluster',
      this.members.map((o) => `${o.name}=${o.proxyUrl}`).join(','),
      '--initial-cluster-token',
      this.#token,
      '--initial-cluster-state',
      'new',
      '--log-level',
      'warn',
      '--logger',
      'zap',
    ]);
  }

  /** Learns the members' ids (hex, as etcd names itself on peer requests) from the gateway. */
  async learnMemberIds(): Promise<boolean> {
    for (const m of this.members) {
      try {
        const res = await fetch(`${m.clientUrl}/v3/cluster/member/list`, {
          method: 'POST',
          body: '{}',
          signal: AbortSignal.timeout(1_000),
        });
        const body = (await res.json()) as { members?: { ID?: string; name?: string }[] };
        for (const member of body.members ?? []) {
          const index = this.members.findIndex((x) => x.name === member.name);
          if (index >= 0 && member.ID) this.#hexMap.set(BigInt(member.ID).toString(16), index);
        }
        if (this.#hexMap.size === this.size) return true;
      } catch {
        // That member is not answering yet; ask the next one.
      }
    }
    return false;
  }

  client(node: number, options: ClientOptions): KV {
    const url = this.member(node).clientUrl;
    return this.clientKind === 'grpc'
      ? grpcClient(url, options, false)
      : etcdGatewayClient(url, options);
  }
}
