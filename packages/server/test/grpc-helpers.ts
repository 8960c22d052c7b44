// A raw gRPC client of etcd's services (messages in the gateway's JSON shape,
// as the server loads them), for requests the etcd3 client cannot make:
// metadata, malformed fields, exact status codes.
import {
  credentials,
  loadPackageDefinition,
  Metadata,
  type Client,
  type GrpcObject,
  type ServiceClientConstructor,
} from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import path from 'node:path';
import { etcdProtoDir, LOADER_OPTIONS } from '../src/grpc/proto.js';

let pkg: GrpcObject | undefined;

export function rawClient(
  endpoint: string,
  service: 'KV' | 'Watch' | 'Lease' | 'Cluster' | 'Maintenance',
): Client {
  if (!pkg) {
    const dir = etcdProtoDir();
    pkg = loadPackageDefinition(
      loadSync(path.join(dir, 'rpc.proto'), { ...LOADER_OPTIONS, includeDirs: [dir] }),
    )['etcdserverpb'] as GrpcObject;
  }
  const Ctor = pkg[service] as ServiceClientConstructor;
  return new Ctor(endpoint, credentials.createInsecure());
}

export function unaryCall(
  client: Client,
  method: string,
  request: unknown,
  metadata = new Metadata(),
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const fn = (
      client as unknown as Record<
        string,
        (req: unknown, md: Metadata, cb: (err: Error | null, res: unknown) => void) => void
      >
    )[method]!;
    fn.call(client, request, metadata, (err, res) => (err ? reject(err) : resolve(res)));
  });
}

/** A bidirectional call of a raw client, with its responses queued for `next()`. */
export interface RawStream<T> {
  write(request: unknown): void;
  /** The next response; rejects after `timeoutMs` (bounded wait) or when the call fails. */
  next(timeoutMs?: number): Promise<T>;
  end(): void;
  cancel(): void;
}

export function rawStream<T>(
  client: Client,
  method: string,
  metadata = new Metadata(),
): RawStream<T> {
  const fn = (
    client as unknown as Record<
      string,
      (md: Metadata) => import('@grpc/grpc-js').ClientDuplexStream<unknown, T>
    >
  )[method]!;
  const call = fn.call(client, metadata);
  const queue: T[] = [];
  const waiters: ((r: { value?: T; err?: Error }) => void)[] = [];
  let failure: Error | undefined;
  call.on('data', (value: T) => {
    const w = waiters.shift();
    if (w) w({ value });
    else queue.push(value);
  });
  call.on('error', (err: Error) => {
    failure = err;
    for (const w of waiters.splice(0)) w({ err });
  });
  return {
    write: (request) => void call.write(request),
    next(timeoutMs = 5_000) {
      const queued = queue.shift();
      if (queued !== undefined) return Promise.resolve(queued);
      if (failure) return Promise.reject(failure);
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no ${method} response within ${timeoutMs} ms`)),
          timeoutMs,
        );
        waiters.push((r) => {
          clearTimeout(timer);
          if (r.err) reject(r.err);
          else resolve(r.value!);
        });
      });
    },
    end: () => call.end(),
    cancel: () => call.cancel(),
  };
}

export const b64 = (s: string): string => Buffer.from(s).toString('base64');
export const text = (b64text: string | undefined): string =>
  Buffer.from(b64text ?? '', 'base64').toString();

/** Waits (bounded poll) until `check` returns a value. */
export async function until<T>(
  what: string,
  check: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
