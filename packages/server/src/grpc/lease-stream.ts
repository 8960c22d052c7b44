// etcd's LeaseKeepAlive RPC: a bidirectional stream of keep-alive requests,
// answered one for one, in order. An unknown or expired lease is answered
// with TTL 0 (etcd 3.4's answer), not an error; any other failure (no
// leader, a timeout) ends the stream with its status, and clients reconnect.
import type { ServerDuplexStream } from '@grpc/grpc-js';
import { i64, type Json } from '../codec/encode-kv.js';
import { GatewayError } from '../codec/gateway-error.js';
import { GrpcCode } from '../codec/grpc-code.js';
import { readInt64, type JsonObject } from '../codec/json-reader.js';
import { makeHeader } from '../http/context.js';
import type { ServedNode } from '../http/served-node.js';
import { toGrpcStatus } from './status.js';
import { StreamWriter } from './stream-writer.js';

/** Keep-alive requests waiting on one stream at most; a client that floods it gets ResourceExhausted. */
export const KEEPALIVE_PENDING_MAX = 1_000;

function isGone(err: unknown): boolean {
  return (
    err instanceof Error && (err.name === 'LeaseNotFoundError' || err.name === 'LeaseExpiredError')
  );
}

export function serveLeaseKeepAlive(
  call: ServerDuplexStream<JsonObject, Json>,
  node: ServedNode,
  onError: (method: string, err: unknown) => void,
): void {
  const out = new StreamWriter(call);
  let chain = Promise.resolve();
  let pending = 0;

  const keepAlive = async (req: JsonObject): Promise<void> => {
    const id = readInt64(req, 'ID', 'lease.keepalive') ?? 0;
    let ttlSeconds = 0;
    try {
      ttlSeconds = (await node.leaseKeepAlive(id)).ttlSeconds;
    } catch (err) {
      if (!isGone(err)) throw err;
    }
    await out.write({
      header: makeHeader(node, node.status().revision),
      ID: i64(id),
      TTL: i64(ttlSeconds),
    });
  };

  const fail = (err: unknown): void => {
    onError('LeaseKeepAlive', err);
    out.fail(toGrpcStatus(err).status);
  };

  call.on('data', (req: JsonObject) => {
    if (out.done) return;
    if (++pending > KEEPALIVE_PENDING_MAX) {
      fail(
        new GatewayError(
          GrpcCode.ResourceExhausted,
          `more than ${KEEPALIVE_PENDING_MAX} keep-alives waiting on one stream; wait for the answers before sending more`,
        ),
      );
      return;
    }
    chain = chain
      .then(() => (out.done ? undefined : keepAlive(req)))
      .catch(fail)
      .finally(() => {
        pending--;
      });
  });
  call.on('end', () => {
    void chain.then(() => out.end());
  });
}
