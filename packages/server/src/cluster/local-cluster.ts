// A whole cluster in this process: `size` nodes (openNode: LevelDB + TCP on
// loopback), each served over HTTP. For tests and examples that need a real
// Flotilla endpoint without spawning processes.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openNode, type FlotillaNode, type NodeOptions } from '@flotilla/node';
import type { HttpLimits } from '../http/limits.js';
import type { RunningHttpServer } from '../http/server.js';
import { MemberDirectory, type DirectoryEntry } from './directory.js';
import { freePort } from '@flotilla/transport';
import { memberIdOf } from './member-id.js';
import { serveNode } from './serve.js';
import type { RunningGrpcServer } from '../grpc/server.js';

export interface LocalMember {
  readonly name: string;
  readonly id: number;
  readonly node: FlotillaNode;
  readonly server: RunningHttpServer;
  /** The member's HTTP endpoint, e.g. http://127.0.0.1:41234 */
  readonly url: string;
  /** With `grpc: true`: etcd's gRPC API of the member, on its own port. */
  readonly grpc?: RunningGrpcServer;
}

export interface LocalCluster {
  readonly members: readonly LocalMember[];
  readonly endpoints: readonly string[];
  /** Resolves with the leader once every member agrees on one (bounded poll). */
  leader(timeoutMs?: number): Promise<LocalMember>;
  close(): Promise<void>;
}

export interface LocalClusterOptions {
  readonly size?: number;
  /** Default: a fresh temporary directory, removed by close(). */
  readonly baseDir?: string;
  readonly clusterId?: string;
  readonly nodeOptions?: NodeOptions;
  /** Also serve etcd's gRPC API on each member (LocalMember.grpc). */
  readonly grpc?: boolean;
  /** Overload limits of every member's HTTP server (see http/limits.ts). */
  readonly httpLimits?: Partial<HttpLimits>;
}

export async function startLocalCluster(options: LocalClusterOptions = {}): Promise<LocalCluster> {
  const size = options.size ?? 3;
  const baseDir = options.baseDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'flotilla-local-'));
  const entries: (DirectoryEntry & { peerPort: number; clientPort: number })[] = [];
  for (let i = 1; i <= size; i++) {
    const name = `n${i}`;
    const peerPort = await freePort();
    const clientPort = await freePort();
    entries.push({
      id: memberIdOf(name),
      name,
      peerUrls: [`http://127.0.0.1:${peerPort}`],
      clientUrls: [`http://127.0.0.1:${clientPort}`],
      peerPort,
      clientPort,
    });
  }
  const members: LocalMember[] = [];
  try {
    for (const e of entries) {
      const peers = new Map(
        entries
          .filter((p) => p.id !== e.id)
          .map((p) => [p.id, { host: '127.0.0.1', port: p.peerPort }] as const),
      );
      const node = await openNode({
        ...options.nodeOptions,
        id: e.id,
        clusterId: options.clusterId ?? 'flotilla-local',
        dataDir: path.join(baseDir, e.name),
        listen: { host: '127.0.0.1', port: e.peerPort },
        peers,
        initialVoters: entries.map((p) => p.id),
      });
      const directory = new MemberDirectory(entries);
      const server = await serveNode({
        node,
        directory,
        port: e.clientPort,
        founders: entries.map((p) => p.name),
        ...(options.httpLimits ? { limits: options.httpLimits } : {}),
      }).catch(async (err: unknown) => {
        await node.close();
        throw err;
      });
      const grpc = options.grpc
        ? await (await import('../grpc/serve-grpc.js'))
            .serveNodeGrpc({ node, directory })
            .catch(async (err: unknown) => {
              await server.close();
              await node.close();
              throw err;
            })
        : undefined;
      members.push({
        name: e.name,
        id: e.id,
        node,
        server,
        url: server.url,
        ...(grpc ? { grpc } : {}),
      });
    }
  } catch (err) {
    await Promise.all(
      members.map(async (m) => {
        await m.server.close();
        await m.node.close();
      }),
    );
    throw err;
  }
  return {
    members,
    endpoints: members.map((m) => m.url),
    async leader(timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const leaders = new Set(members.map((m) => m.node.status().leader));
        const [only] = leaders;
        const found = leaders.size === 1 && only ? members.find((m) => m.id === only) : undefined;
        if (found) return found;
        if (Date.now() > deadline) throw new Error(`no agreed leader within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async close() {
      await Promise.all(
        members.map(async (m) => {
          await m.grpc?.close();
          await m.server.close();
          await m.node.close();
        }),
      );
      if (!options.baseDir) fs.rmSync(baseDir, { recursive: true, force: true });
    },
  };
}
