// Tells HTTP/2 connections from HTTP/1.1 ones by their first bytes, so one
// port serves both (as etcd serves gRPC and its JSON gateway on one port). An
// HTTP/2 client with prior knowledge (every gRPC client over plain TCP) opens
// with the fixed preface "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"; no HTTP/1.1
// request starts that way. The bytes read to decide are put back before the
// connection is handed on. No gRPC code here: the HTTP server loads gRPC only
// when the first HTTP/2 connection arrives.
import type { Socket } from 'node:net';

export const HTTP2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

/** A connection that sends nothing for this long is closed before it is routed. */
export const SNIFF_TIMEOUT_MS = 30_000;

/** Hands `socket` to `http1` or `http2` once its first bytes tell which it speaks. */
export function routeByPreface(
  socket: Socket,
  http1: (s: Socket) => void,
  http2: (s: Socket) => void,
): void {
  let seen: Buffer = Buffer.alloc(0);
  const onError = (): void => {
    socket.destroy();
  };
  const onTimeout = (): void => {
    socket.destroy();
  };
  const onData = (chunk: Buffer): void => {
    seen = seen.length === 0 ? chunk : Buffer.concat([seen, chunk]);
    const n = Math.min(seen.length, HTTP2_PREFACE.length);
    const maybeHttp2 = seen.subarray(0, n).equals(HTTP2_PREFACE.subarray(0, n));
    if (maybeHttp2 && seen.length < HTTP2_PREFACE.length) return; // wait for the rest of the preface
    socket.off('data', onData);
    socket.off('error', onError);
    socket.off('timeout', onTimeout);
    socket.setTimeout(0);
    socket.pause();
    socket.unshift(seen);
    (maybeHttp2 ? http2 : http1)(socket);
  };
  socket.setTimeout(SNIFF_TIMEOUT_MS);
  socket.on('timeout', onTimeout);
  socket.on('error', onError);
  socket.on('data', onData);
}
