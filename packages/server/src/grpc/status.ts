// gRPC status for a failed call, and request metadata read as HTTP headers.
//
// etcd's Go client (clientv3's rpctypes) and the etcd3 npm client recognise
// errors by their exact message, so the status message is etcd's text alone
// when etcd has the same error; Flotilla's explanation (what to do) travels
// in the trailing metadata `x-flotilla-error-detail` and in the server log.
import { Metadata, type status as Status } from '@grpc/grpc-js';
import type { IncomingHttpHeaders } from 'node:http';
import { toGatewayError } from '../codec/error-map.js';
import { EtcdMessage, GatewayError } from '../codec/gateway-error.js';
import { GrpcCode } from '../codec/grpc-code.js';

export const ERROR_DETAIL_METADATA = 'x-flotilla-error-detail';

const ETCD_TEXTS: readonly string[] = Object.values(EtcdMessage);

/** Splits "etcd text (detail)" into its parts; other messages have no etcd part. */
export function splitEtcdText(message: string): { message: string; detail?: string } {
  for (const text of ETCD_TEXTS) {
    if (message === text) return { message };
    if (message.startsWith(`${text} (`) && message.endsWith(')'))
      return { message: text, detail: message.slice(text.length + 2, -1) };
  }
  return { message };
}

export interface MappedError {
  readonly status: { code: Status; details: string; metadata: Metadata };
  /** False for an unexpected error (a bug): the caller logs it at error level. */
  readonly expected: boolean;
}

export function toGrpcStatus(err: unknown): MappedError {
  const mapped = toGatewayError(err);
  const gateway =
    mapped ??
    new GatewayError(
      GrpcCode.Internal,
      `internal error: ${(err as Error)?.message ?? String(err)}`,
    );
  const { message, detail } = splitEtcdText(gateway.message);
  const metadata = new Metadata();
  if (detail) metadata.set(ERROR_DETAIL_METADATA, detail);
  // grpc-js's Status enum has the same numbers as GrpcCode.
  return {
    status: { code: gateway.code as number as Status, details: message, metadata },
    expected: mapped !== undefined,
  };
}

/**
 * Request metadata as the header object the HTTP layer's readers take, so the
 * exactly-once identity (`x-flotilla-client-id`, `x-flotilla-seq`) and the
 * lease-read flag are checked by the same code. A key sent twice stays an
 * array, which those readers refuse.
 */
export function metadataHeaders(metadata: Metadata, names: readonly string[]): IncomingHttpHeaders {
  const headers: IncomingHttpHeaders = {};
  for (const name of names) {
    const values = metadata.get(name).map((v) => (typeof v === 'string' ? v : v.toString('utf8')));
    if (values.length === 1) headers[name] = values[0];
    else if (values.length > 1) headers[name] = values;
  }
  return headers;
}
