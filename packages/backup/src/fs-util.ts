// Durable file writes: temporary file → write → fsync → rename → fsync the
// directory, so a crash leaves either the old state or the complete new file
// under its final name, never a file that looks complete but is not.
import { randomBytes } from 'node:crypto';
import { open, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { fsyncDir } from '@flotilla/storage';

export const TMP_MARKER = '.tmp-';

/** Writes `chunks` to `file` atomically and durably; returns the bytes written. */
export async function writeFileAtomic(
  file: string,
  chunks: AsyncIterable<Uint8Array>,
): Promise<number> {
  const dir = path.dirname(path.resolve(file));
  const tmp = path.join(
    dir,
    `${path.basename(file)}${TMP_MARKER}${process.pid}-${randomBytes(4).toString('hex')}`,
  );
  const fh = await open(tmp, 'wx');
  let bytes = 0;
  try {
    for await (const chunk of chunks) {
      await fh.write(chunk, 0, chunk.byteLength, bytes);
      bytes += chunk.byteLength;
    }
    await fh.sync();
  } catch (err) {
    await fh.close();
    await rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  await rename(tmp, file);
  await fsyncDir(dir);
  return bytes;
}

/** True when `dir` does not exist or has no entries. */
export async function isEmptyDir(dir: string): Promise<boolean> {
  try {
    return (await readdir(dir)).length === 0;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw err;
  }
}

/** Removes everything inside `dir`, keeping the directory. */
export async function emptyDir(dir: string): Promise<void> {
  for (const name of await readdir(dir))
    await rm(path.join(dir, name), { recursive: true, force: true });
}
