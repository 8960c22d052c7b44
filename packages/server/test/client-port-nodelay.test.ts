// The client port's connections are accepted by a router (HTTP/1.1 or HTTP/2
// by the first bytes, or by ALPN) and handed on: neither node:http nor grpc-js
// accepted them, so neither turned Nagle's algorithm off, and the server must.
// With Nagle on, a write that follows an unacknowledged one waits for the
// client's delayed ACK (40 ms): every unary gRPC answer (sequential gRPC puts
// 45 ms in the full benchmark, 3.6 ms on the separate gRPC port) and every
// watch event after the first on an HTTP watch stream. Checked here by what
// the server does to the accepted sockets, not by timing.
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

describe('connections of the client port', () => {
  it('have Nagle turned off, for HTTP/1.1 and for gRPC', async () => {
    cluster = await startLocalCluster({ size: 1 });
    const member = await cluster.leader();
    const port = Number(new URL(member.url).port);
    const noDelayOnPort: boolean[] = [];
    net.Socket.prototype.setNoDelay = function (this: net.Socket, on?: boolean) {
      if (this.localPort === port) noDelayOnPort.push(on !== false);
      return setNoDelay.call(this, on);
    };
    const res = await fetch(`${member.url}/health`);
    expect(res.status).toBe(200);
    expect(noDelayOnPort).toEqual([true]);
    const etcd = new Etcd3({ hosts: [member.url] });
    try {
      await etcd.put('nodelay').value('1');
      expect(await etcd.get('nodelay').string()).toBe('1');
    } finally {
      etcd.close();
    }
    expect(noDelayOnPort.filter((on) => on).length).toBeGreaterThanOrEqual(2);
    expect(noDelayOnPort).not.toContain(false);
  });
});
