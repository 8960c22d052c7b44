// The progress display: one status line on stderr, rewritten in place on a
// terminal, printed at most every 5 s otherwise (CI logs stay short).

export class Progress {
  private readonly tty = process.stderr.isTTY === true;
  private readonly startMs = performance.now();
  private stage = '';
  private lastPrintMs = -Infinity;

  private elapsed(): string {
    const s = Math.round((performance.now() - this.startMs) / 1000);
    return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
  }

  /** A new step: always printed on its own line. */
  begin(stage: string): void {
    this.stage = stage;
    if (this.tty) process.stderr.write('\r\x1b[2K');
    process.stderr.write(`[${this.elapsed()}] ${stage}\n`);
    this.lastPrintMs = performance.now();
  }

  /** Detail within the current step. */
  update(detail: string): void {
    const line = `[${this.elapsed()}] ${this.stage}: ${detail}`;
    if (this.tty) {
      process.stderr.write(`\r\x1b[2K${line.slice(0, (process.stderr.columns ?? 120) - 1)}`);
      return;
    }
    if (performance.now() - this.lastPrintMs < 5_000) return;
    this.lastPrintMs = performance.now();
    process.stderr.write(`${line}\n`);
  }

  /** A finished result worth keeping on screen. */
  note(text: string): void {
    if (this.tty) process.stderr.write('\r\x1b[2K');
    process.stderr.write(`           ${text}\n`);
  }
}
