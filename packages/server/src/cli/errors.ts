// CLI errors: a user mistake or a refused request is one line on stderr and
// a non-zero exit code, never a stack trace.
import { type ErrorCategory, FlotillaError } from '@flotilla/errors';

/** Wrong flags or arguments: exit code 2, with a pointer to the usage. */
export class UsageError extends FlotillaError {
  readonly category: ErrorCategory = 'badInput';
  override readonly name = 'UsageError';
}

/** The command was understood but failed (server error, unreachable cluster, bad config): exit code 1. */
export class CliError extends FlotillaError {
  readonly category: ErrorCategory = 'badInput';
  override readonly name = 'CliError';
}

export function exitCodeOf(err: unknown): number {
  return err instanceof UsageError ? 2 : 1;
}
