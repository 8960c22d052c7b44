// POST /v3/maintenance/snapshot: a consistent backup of this member streamed
// as application/octet-stream (the @flotilla/backup file format; what
// `flotilla snapshot save` downloads). The snapshot is opened before the
// status line is sent, so a member that cannot take one answers with an
// ordinary error; a failure after that can only cut the body short, which
// the downloader sees (and a verify refuses as truncated).
import type { ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GatewayError } from '../codec/gateway-error.js';
import { GrpcCode } from '../codec/grpc-code.js';

export const SNAPSHOT_PATH = '/v3/maintenance/snapshot';

/** Opens a backup stream of the served member (the backup file's bytes). */
export type BackupSourceFn = () => Readable;

export async function streamSnapshot(
  res: ServerResponse,
  open: BackupSourceFn | undefined,
): Promise<void> {
  if (!open)
    throw new GatewayError(
      GrpcCode.Unimplemented,
      'this server was started without a backup source; snapshots are served by `flotilla start` members',
      501,
    );
  const body = open();
  const chunks = body[Symbol.asyncIterator]() as AsyncIterator<Uint8Array>;
  let first: IteratorResult<Uint8Array>;
  try {
    first = await chunks.next();
  } catch (err) {
    body.destroy();
    throw new GatewayError(
      GrpcCode.Unavailable,
      `cannot take a snapshot of this member: ${(err as Error).message}`,
    );
  }
  res.writeHead(200, { 'content-type': 'application/octet-stream' });
  async function* rest(): AsyncGenerator<Uint8Array> {
    try {
      if (!first.done) yield first.value;
      for (let r = await chunks.next(); !r.done; r = await chunks.next()) yield r.value;
    } finally {
      // A client that hung up early: release the member's snapshot now.
      await chunks.return?.();
    }
  }
  // pipeline destroys the response if the backup fails midway: the client sees a cut-short body, never a "complete" one.
  await pipeline(Readable.from(rest()), res);
}
