// Reads a request body up to a byte limit. An oversized body is read to its
// end and discarded (up to a bound), so the client sees etcd's "message larger
// than max" answer (ResourceExhausted, HTTP 429) instead of a reset connection.
// A body without Content-Length takes its bytes from the in-flight budget as
// they arrive (`take`); one with Content-Length took them before reading.
import type { IncomingMessage } from 'node:http';
import { GatewayError } from '../codec/gateway-error.js';
import { GrpcCode } from '../codec/grpc-code.js';

/**
 * etcd accepts a 1.5 MiB request plus 512 KiB of gRPC overhead (2 MiB) after
 * decoding; base64 in JSON costs 4/3, so the JSON body limit is 2 MiB × 4/3
 * plus room for the field names.
 */
export const BODY_BYTES_MAX_DEFAULT = Math.ceil((2 * 1024 * 1024 * 4) / 3) + 16 * 1024;

/** Beyond this many bytes an oversized body is no longer drained: the connection is cut. */
export const DRAIN_BYTES_MAX = 32 * 1024 * 1024;

export class BodyTooLargeError extends GatewayError {
  override readonly name = 'BodyTooLargeError';
  /** etcd's gRPC text first (`grpc: received message larger than max (N vs. M)`), then what to do. */
  static of(bodyBytesMax: number, bodyBytes?: number): BodyTooLargeError {
    const size = bodyBytes === undefined ? `more than ${bodyBytesMax}` : String(bodyBytes);
    return new BodyTooLargeError(
      GrpcCode.ResourceExhausted,
      `grpc: received message larger than max (${size} vs. ${bodyBytesMax}) (request body is larger than bodyBytesMax; values are limited to 1.5 MiB, split larger data over several keys)`,
    );
  }
}

/** Takes `bytes` from the in-flight budget; the refusal to answer with when they do not fit. */
export type TakeBytes = (bytes: number) => GatewayError | undefined;

export function readBody(
  req: IncomingMessage,
  bodyBytesMax: number,
  take?: TakeBytes,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    let settled = false;
    const settle = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      fn();
    };
    req.on('data', (chunk: Buffer) => {
      if (settled) return; // refused: the rest is read and dropped
      total += chunk.length;
      if (total <= bodyBytesMax) {
        const refusal = take?.(chunk.length);
        if (refusal === undefined) {
          chunks.push(chunk);
          return;
        }
        chunks.length = 0;
        settle(() => reject(refusal));
        return;
      }
      chunks.length = 0;
      if (total > DRAIN_BYTES_MAX) {
        settle(() => reject(BodyTooLargeError.of(bodyBytesMax)));
        req.destroy();
      }
    });
    req.on('end', () => {
      settle(() =>
        total > bodyBytesMax
          ? reject(BodyTooLargeError.of(bodyBytesMax, total))
          : resolve(Buffer.concat(chunks).toString('utf8')),
      );
    });
    req.on('error', (err) => settle(() => reject(err)));
  });
}
