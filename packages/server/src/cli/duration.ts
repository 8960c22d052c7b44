// Durations on the command line, written as etcdctl takes them: Go's
// time.ParseDuration syntax ("5s", "500ms", "1m30s", "1.5h"). A bare integer
// is milliseconds, the form this CLI took before; etcdctl refuses bare
// numbers other than 0, so no etcdctl command line changes meaning.
import { UsageError } from './errors.js';

const UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
};

/** One or more `<decimal><unit>` terms, the whole string (Go allows "1h2m3.5s"). */
const TERM = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/gy;

/** Milliseconds in a Go duration, or undefined when the text is not one. */
function goDurationMs(text: string): number | undefined {
  if (text === '') return undefined;
  TERM.lastIndex = 0;
  let total = 0;
  while (TERM.lastIndex < text.length) {
    const m = TERM.exec(text);
    if (!m) return undefined;
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
  }
  return total;
}

/**
 * Parses a positive duration for `flag` into whole milliseconds (at least 1).
 * Throws a UsageError that shows the accepted forms.
 */
export function parseDurationMs(text: string, flag: string): number {
  const trimmed = text.trim();
  const ms = /^\d+$/.test(trimmed) ? Number(trimmed) : goDurationMs(trimmed);
  if (ms === undefined || !Number.isFinite(ms)) {
    throw new UsageError(
      `${flag}: ${JSON.stringify(text)} is not a duration; write e.g. 5s, 500ms or 1m30s (units ns, us, ms, s, m, h; a bare number is milliseconds)`,
    );
  }
  if (ms <= 0) throw new UsageError(`${flag} must be longer than 0, got ${JSON.stringify(text)}`);
  return Math.max(1, Math.round(ms));
}

/** A duration for messages: "10s", "1.5s", "750ms", "2m". */
export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${ms}ms`;
  if (ms < 60_000 || ms % 60_000 !== 0) return `${Number((ms / 1_000).toFixed(3))}s`;
  return `${ms / 60_000}m`;
}
