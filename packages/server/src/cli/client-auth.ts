// etcdctl's auth flags for every client command: --user name[:password] and
// --password. etcdctl prompts for a missing password; the CLI never prompts
// (scripts and tests run it), so a user without a password is a usage error.
import { UsageError } from './errors.js';

/** The shape remoteKv's `auth` option takes. */
export interface CliCredentials {
  readonly user: string;
  readonly password: string;
}

/**
 * --user / FLOTILLA_USER and --password / FLOTILLA_PASSWORD; undefined when no user is given.
 * As etcdctl: with --password the whole --user value is the name; without it, the
 * name ends at the first colon and the password is the rest.
 */
export function cliAuthOf(
  user: string | undefined,
  password: string | undefined,
): CliCredentials | undefined {
  if (user === undefined) {
    if (password !== undefined)
      throw new UsageError('--password needs --user (or FLOTILLA_USER): whose password is it?');
    return undefined;
  }
  if (password !== undefined) {
    if (user === '') throw new UsageError('--user: the user name is empty');
    return { user, password };
  }
  const colon = user.indexOf(':');
  if (colon < 0)
    throw new UsageError(
      `--user ${JSON.stringify(user)} has no password: pass --user ${user}:PASSWORD or --password PASSWORD (or FLOTILLA_PASSWORD); the CLI never prompts`,
    );
  const name = user.slice(0, colon);
  if (name === '') throw new UsageError('--user: the user name before the colon is empty');
  return { user: name, password: user.slice(colon + 1) };
}
