// Real TCP transports on loopback for tests: ports picked by the OS, waits
// are bounded polls.
import type { NodeId } from '@flotilla/raft';
import {
  TcpTransport,
  type DropEvent,
  type Logger,
  type TcpTransportOptions,
  type Transport,
} from '../src/index.js';
import type { Harness, Received } from './conformance.js';

export const HOST = '127.0.0.1';

/** Polls `pred` every few ms; fails after `timeoutMs`. */
export async function waitFor(pred: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`not reached within ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export interface LogLine {
  readonly level: 'warn' | 'info' | 'debug';
  readonly obj: Record<string, unknown>;
  readonly msg: string;
}

export function recordingLogger(lines: LogLine[]): Logger {
  return {
    warn: (obj, msg) => lines.push({ level: 'warn', obj: obj as Record<string, unknown>, msg }),
    info: (obj, msg) => lines.push({ level: 'info', obj: obj as Record<string, unknown>, msg }),
    debug: (obj, msg) => lines.push({ level: 'debug', obj: obj as Record<string, unknown>, msg }),
  };
}

export const fastReconnect = { baseMs: 10, maxMs: 100 };

/** `extra` adds options to every transport, or per node when it is a function of the node id (peer TLS certificates). */
export async function tcpHarness(
  extra: Partial<TcpTransportOptions> | ((id: NodeId) => Partial<TcpTransportOptions>) = {},
): Promise<Harness & { tcp(id: NodeId): TcpTransport }> {
  const ids: NodeId[] = [1, 2, 3];
  const ports = new Map<NodeId, number>();
  const current = new Map<NodeId, TcpTransport>();
  const received = new Map<Transport, Received[]>();
  const drops = new Map<Transport, DropEvent[]>();
  const start = async (id: NodeId, port: number): Promise<void> => {
    const peers = new Map(
      [...ports]
        .filter(([peer]) => peer !== id)
        .map(([peer, p]) => [peer, { host: HOST, port: p }]),
    );
    const t = new TcpTransport({
      id,
      clusterId: 'test',
      listen: { host: HOST, port },
      peers,
      reconnect: fastReconnect,
      ...(typeof extra === 'function' ? extra(id) : extra),
    });
    const got: Received[] = [];
    const dropped: DropEvent[] = [];
    t.onMessage((messages, from) => got.push(...messages.map((message) => ({ from, message }))));
    t.onDrop((e) => dropped.push(e));
    received.set(t, got);
    drops.set(t, dropped);
    current.set(id, t);
    ports.set(id, (await t.listening()).port);
  };
  for (const id of ids) await start(id, 0);
  for (const [id, t] of current) {
    for (const [peer, port] of ports) if (peer !== id) t.addPeer(peer, { host: HOST, port });
  }
  await waitFor(
    () => [...current.values()].every((t) => [...t.peers().values()].every((p) => p.connected)),
    'all pairs connected',
  );
  return {
    ids,
    tcp: (id) => current.get(id)!,
    transport: (id) => current.get(id)!,
    received: (t) => received.get(t)!,
    drops: (t) => drops.get(t)!,
    crash: async (id) => {
      await current.get(id)!.close();
      await waitFor(
        () =>
          [...current].every(
            ([other, t]) => other === id || t.peers().get(id)?.connected === false,
          ),
        `peers notice ${id} is down`,
      );
    },
    restart: (id) => start(id, ports.get(id)!),
    until: (pred, what) => waitFor(pred, what),
    shutdown: async () => {
      for (const t of current.values()) await t.close();
    },
  };
}
