import { open } from 'node:fs/promises';

/**
 * Makes a rename or unlink in `dir` durable. Without it, a power loss after
 * rename() can bring back the old directory entry even though the file was synced.
 */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
