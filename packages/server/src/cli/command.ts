// Shared plumbing for CLI commands: argument parsing that turns mistakes into
// UsageErrors, and the context every command runs with.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './errors.js';
import type { KV } from '@flotilla/client';
import type { HttpApi } from './http-api.js';

export interface CommandContext {
  /** Plain etcd-JSON calls (member, endpoint, move-leader: not part of the KV interface). */
  readonly api: HttpApi;
  /** The @flotilla/client remote backend (discovery, retries, exactly-once writes), created on first use. */
  readonly kv: () => Promise<KV>;
  readonly out: (line: string) => void;
  /** Aborted on Ctrl-C / SIGTERM: long-running commands (watch, keepalive) stop cleanly. */
  readonly signal: AbortSignal;
  /** Text read from stdin (txn); undefined when stdin is a TTY. */
  readonly readStdin: () => Promise<string>;
}

export type Options = NonNullable<ParseArgsConfig['options']>;

export interface Parsed {
  readonly values: Record<string, string | boolean | undefined>;
  readonly positionals: string[];
}

export function parse(command: string, args: readonly string[], options: Options): Parsed {
  try {
    const { values, positionals } = parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
    return { values: values as Record<string, string | boolean | undefined>, positionals };
  } catch (err) {
    throw new UsageError(`${command}: ${(err as Error).message.split('\n')[0]}`);
  }
}

export function intFlag(parsed: Parsed, name: string, command: string): number | undefined {
  const text = parsed.values[name];
  if (text === undefined) return undefined;
  if (typeof text !== 'string' || !/^\d+$/.test(text)) throw new UsageError(`${command}: --${name} must be a non-negative integer, got ${JSON.stringify(text)}`);
  return Number(text);
}

export function positional(parsed: Parsed, index: number, command: string, what: string): string {
  const value = parsed.positionals[index];
  if (value === undefined) throw new UsageError(`${command}: missing ${what}; see \`flotilla help\``);
  return value;
}

export function noExtra(parsed: Parsed, count: number, command: string): void {
  if (parsed.positionals.length > count) {
    throw new UsageError(`${command}: unexpected argument ${JSON.stringify(parsed.positionals[count])}; see \`flotilla help\``);
  }
}
