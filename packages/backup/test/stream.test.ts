// The HTTP-ready stream: served by a real HTTP server on loopback, downloaded,
// written with writeBackupFile, verified; an abandoned stream is not a backup.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backupStream, verifyBackup, writeBackupFile, BackupSourceError } from '../src/index.js';
import { richKv, source, tempDir } from './helpers.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeAll(async () => ({ dir, cleanup } = await tempDir('flotilla-stream-')));
afterAll(() => cleanup());

describe('backupStream', () => {
  it('served over HTTP and saved by the client, it verifies, and the header manifest matches', async () => {
    const kv = await richKv(400, { snapshotChunkBytes: 2048 });
    let served: Promise<unknown> | undefined;
    const server = createServer((_req, res) => {
      const stream = backupStream(source(kv));
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      stream.readable().pipe(res);
      served = stream.manifest;
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const response = await fetch(`http://127.0.0.1:${port}/v3/maintenance/snapshot`, {
        method: 'POST',
      });
      const file = path.join(dir, 'downloaded.fbk');
      await writeBackupFile(
        file,
        Readable.fromWeb(response.body as never) as AsyncIterable<Uint8Array>,
      );
      const verdict = await verifyBackup(file, { scratch: 'memory' });
      expect(verdict.ok).toBe(true);
      if (verdict.ok) expect(verdict.manifest).toEqual(await served);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await kv.close();
    }
  });

  it('a consumer that stops early gets no manifest: a partial stream is never reported as a backup', async () => {
    const kv = await richKv(300, { snapshotChunkBytes: 512 });
    const stream = backupStream(source(kv));
    let n = 0;
    for await (const chunk of stream.chunks) {
      void chunk;
      if (++n === 3) break;
    }
    await expect(stream.manifest).rejects.toBeInstanceOf(BackupSourceError);
    await kv.close();
  });
});
