// The workloads' clients by protocol, shared by both targets so that
// `--client grpc` runs Flotilla and etcd through the same client code.
//
// How an error becomes a history outcome is decided by the workloads, not by
// the client's error classes: a write (put, delete, txn with a write, lease
// grant) that throws anything is recorded as unknown (it may have been
// applied), a read that throws is recorded as failed (it changed nothing).
// That holds whatever a client calls the error (over gRPC a deadline is
// DEADLINE_EXCEEDED, a dropped connection UNAVAILABLE, etcd's "not leader"
// UNAVAILABLE too), so the checkers stay sound on either protocol.
//
// The two clients differ in what they may retry. remoteKv on Flotilla sends
// each write with an exactly-once client id and sequence and repeats it once
// on a lost answer; etcdKv, like etcd's own clients, never repeats a write
// (a lost answer is an UnknownOutcomeError). Over gRPC the suite sends no
// exactly-once identity to Flotilla either (the server would read it from
// `x-flotilla-client-id` / `x-flotilla-seq` metadata, but etcd3 has no such
// notion and the point is the same client code on both targets), so a gRPC
// run records more unknown writes than an HTTP one.
import fs from 'node:fs';
import type { Interceptor } from '@grpc/grpc-js';
import { InterceptingCall } from '@grpc/grpc-js';
import { remoteKv, type KV } from '@flotilla/client';
import { etcdKv } from '@flotilla/client/etcd';
import type { ClientOptions } from './target.js';

/** One retry of a read (or of a write that surely was not sent), quickly: a pinned client must not hide a fault. */
export const CLIENT_RETRY = { attemptsMax: 2, backoffInitialMs: 20, backoffMaxMs: 100 } as const;

/** Flotilla's lease-read flag, the HTTP header's name (the server reads gRPC metadata under the same names). */
export const LEASE_READ_METADATA = 'x-flotilla-read-consistency';

/** Adds the lease-read metadata to a call. */
const leaseReadInterceptor: Interceptor = (options, nextCall) =>
  new InterceptingCall(nextCall(options), {
    start(metadata, listener, next) {
      metadata.set(LEASE_READ_METADATA, 'lease');
      next(metadata, listener);
    },
  });

/**
 * etcd3's per-call options: the lease-read interceptor on every Range that is
 * not serializable (a serializable read stays local, and the server refuses both at once).
 */
export function leaseReadCallOptions(context: {
  service: string;
  method: string;
  params?: unknown;
}): { interceptors?: Interceptor[] } {
  const serializable = (context.params as { serializable?: boolean } | undefined)?.serializable;
  return context.service === 'KV' && context.method === 'range' && serializable !== true
    ? { interceptors: [leaseReadInterceptor] }
    : {};
}

/** --secure over gRPC: TLS with a client certificate (ALPN h2 on the https:// port) and, with auth on, a login. */
export interface GrpcSecurity {
  readonly tls: { readonly cacert: string; readonly cert: string; readonly key: string };
  readonly auth?: { readonly username: string; readonly password: string };
}

/** The `etcd3` npm client over etcd's v3 gRPC API, pinned to one member. `leaseReads` is honoured by Flotilla only. */
export function grpcClient(
  url: string,
  options: ClientOptions,
  flotilla: boolean,
  security?: GrpcSecurity,
): KV {
  return etcdKv({
    endpoints: [url],
    requestTimeoutMs: options.requestTimeoutMs,
    retry: CLIENT_RETRY,
    etcd3: {
      ...(flotilla && options.leaseReads ? { defaultCallOptions: leaseReadCallOptions } : {}),
      ...(security === undefined
        ? {}
        : {
            credentials: {
              rootCertificate: fs.readFileSync(security.tls.cacert),
              certChain: fs.readFileSync(security.tls.cert),
              privateKey: fs.readFileSync(security.tls.key),
            },
            ...(security.auth ? { auth: security.auth } : {}),
          }),
    },
  });
}

/** remoteKv over etcd's JSON gateway, pinned to one member: plain etcd semantics (no exactly-once, no lease reads). */
export function etcdGatewayClient(url: string, options: ClientOptions): KV {
  return remoteKv({
    endpoints: [url],
    discover: false,
    exactlyOnce: false,
    requestTimeoutMs: options.requestTimeoutMs,
    retry: CLIENT_RETRY,
  });
}
