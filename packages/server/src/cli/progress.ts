// Progress lines for long commands (snapshot save, verify, restore). They go
// to stderr, so stdout carries only the result and stays machine-readable.
import { formatDuration } from './duration.js';

/** At most one byte-count line per this long. */
const BYTES_REPORT_INTERVAL_MS = 1_000;

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(0)} kB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

export class Progress {
  private readonly startedMs = Date.now();
  private bytesReportedMs = Date.now();

  constructor(private readonly write: (line: string) => void) {}

  step(line: string): void {
    this.write(line);
  }

  /** Counts a stream's bytes, reporting the total at most once a second. */
  async *count(chunks: AsyncIterable<Uint8Array>, what: string): AsyncGenerator<Uint8Array> {
    let total = 0;
    for await (const chunk of chunks) {
      total += chunk.byteLength;
      const now = Date.now();
      if (now - this.bytesReportedMs >= BYTES_REPORT_INTERVAL_MS) {
        this.bytesReportedMs = now;
        this.write(`${what}: ${formatBytes(total)} so far (${this.elapsed()})`);
      }
      yield chunk;
    }
  }

  /** Time since this progress began, e.g. "1.25s". */
  elapsed(): string {
    return formatDuration(Math.max(1, Date.now() - this.startedMs));
  }
}
