// Real TCP transports and raw peers opened by one test file, each recording
// what it got and logged; closeAll() (in afterEach) ends them all.
import type { Message, NodeId } from '@flotilla/raft';
import { TcpTransport, type DropEvent, type TcpTransportOptions } from '../src/index.js';
import { RawPeer } from './raw-peer.js';
import { fastReconnect, HOST, recordingLogger, type LogLine } from './tcp-harness.js';

export interface TestNode {
  readonly t: TcpTransport;
  readonly port: number;
  readonly got: { from: NodeId; message: Message }[];
  readonly drops: DropEvent[];
  readonly log: LogLine[];
}

export class TestNodes {
  private readonly open: (TcpTransport | RawPeer)[] = [];

  /** A transport on a free loopback port with a recording logger and fast reconnects. */
  async node(id: NodeId, extra: Partial<TcpTransportOptions> = {}): Promise<TestNode> {
    const log: LogLine[] = [];
    const t = new TcpTransport({
      id,
      clusterId: 'test',
      listen: { host: HOST, port: 0 },
      reconnect: fastReconnect,
      logger: recordingLogger(log),
      ...extra,
    });
    this.open.push(t);
    const got: TestNode['got'] = [];
    const drops: DropEvent[] = [];
    t.onMessage((messages, from) => got.push(...messages.map((message) => ({ from, message }))));
    t.onDrop((e) => drops.push(e));
    return { t, port: (await t.listening()).port, got, drops, log };
  }

  async raw(port: number): Promise<RawPeer> {
    const peer = await RawPeer.connect(port);
    this.open.push(peer);
    return peer;
  }

  async closeAll(): Promise<void> {
    for (const x of this.open.splice(0)) {
      if (x instanceof TcpTransport) await x.close();
      else x.destroy();
    }
  }
}
