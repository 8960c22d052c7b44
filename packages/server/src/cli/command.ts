// What every CLI command runs with, and the small helpers their option
// parsing shares. Commander does the parsing; mistakes become UsageErrors.
import type { KV } from '@flotilla/client';
import type { TlsFetch } from './client-tls.js';
import type { Deadline } from './deadline.js';
import { UsageError } from './errors.js';
import type { GlobalOptions } from './globals.js';
import type { HttpApi } from './http-api.js';

export interface CommandContext {
  readonly globals: GlobalOptions;
  /** Plain etcd-JSON calls (member, endpoint, move-leader: not part of the KV interface). */
  readonly api: HttpApi;
  /** For the CLI's own fetch calls (snapshot save): undici's fetch and an agent with --cacert/--cert/--key; undefined without them. */
  readonly tlsFetch: () => Promise<TlsFetch | undefined>;
  /** The @flotilla/client remote backend (discovery, retries until the deadline, exactly-once writes), created on first use. */
  readonly kv: () => Promise<KV>;
  /** --command-timeout: the deadline the client's retries run to. */
  readonly deadline: Deadline;
  /** Results, on stdout. */
  readonly out: (line: string) => void;
  /** Progress and notes, on stderr (stdout stays machine-readable). */
  readonly err: (line: string) => void;
  /** Aborted on Ctrl-C / SIGTERM: long-running commands (watch, keepalive) stop cleanly. */
  readonly signal: AbortSignal;
  /** Text read from stdin (txn). */
  readonly readStdin: () => Promise<string>;
}

/** A non-negative integer option (--limit, --rev, --max-events); undefined when not given. */
export function intOption(value: unknown, flag: string, command: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new UsageError(
      `${command}: ${flag} must be a non-negative integer, got ${JSON.stringify(value)}`,
    );
  }
  return Number(value);
}

/** A string option's value, or undefined. */
export function stringOption(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

export const text = (data: Uint8Array): string =>
  Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8');
