// A gRPC connection on the shared client port reaches grpc-js wrapped (see
// src/grpc/authority.ts), so grpc-js cannot turn Nagle's algorithm off on it
// as it does on sockets it accepts itself; the server must. With Nagle on,
// each unary answer's second write waited for the client's delayed ACK: 40 ms
// per call (a 20× slower gRPC path in the full benchmark). Checked here by
// what the server does to the accepted socket, not by timing.
import net from 'node:net';
import { Etcd3 } from 'etcd3';
import { afterAll, describe, expect, it } from 'vitest';
import { startLocalCluster, type LocalCluster } from '../src/index.js';

let cluster: LocalCluster | undefined;
const setNoDelay = net.Socket.prototype.setNoDelay;

afterAll(async () => {
  net.Socket.prototype.setNoDelay = setNoDelay;
  await cluster?.close();
});

describe('gRPC on the shared client port', () => {
  it('turns Nagle off on the connections it serves gRPC on', async () => {
    cluster = await startLocalCluster({ size: 1 });
    const member = await cluster.leader();
    const port = Number(new URL(member.url).port);
    const noDelayOnPort: boolean[] = [];
    net.Socket.prototype.setNoDelay = function (this: net.Socket, on?: boolean) {
      if (this.localPort === port) noDelayOnPort.push(on !== false);
      return setNoDelay.call(this, on);
    };
    const etcd = new Etcd3({ hosts: [member.url] });
    try {
      await etcd.put('nodelay').value('1');
      expect(await etcd.get('nodelay').string()).toBe('1');
    } finally {
      etcd.close();
    }
    expect(noDelayOnPort).toContain(true);
  });
});
