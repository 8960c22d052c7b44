// Global CLI flags, etcdctl's names: --endpoints, --command-timeout,
// --dial-timeout, -w/--write-out, the TLS ones (--cacert, --cert, --key,
// --insecure-skip-tls-verify) and the auth ones (--user, --password). Commander reads them anywhere on the line
// (before or after the command); the environment gives the defaults.
import { Option, type Command } from 'commander';
import { cliAuthOf, type CliCredentials } from './client-auth.js';
import { cliTlsOf, type CliTlsOptions } from './client-tls.js';
import { parseDurationMs } from './duration.js';
import { UsageError } from './errors.js';

export interface GlobalOptions {
  readonly endpoints: string[];
  /** Each of `endpoints` as the user wrote it (`127.0.0.1:2379`): endpoint status/health/hashkv print it so, as etcdctl does. */
  readonly endpointsAsGiven?: readonly string[];
  /** The whole command (all attempts on all endpoints) ends within this. */
  readonly commandTimeoutMs: number;
  /** One attempt on one endpoint ends within this; the next endpoint is tried after it. */
  readonly dialTimeoutMs: number;
  /** -w: undefined when not given (each command has its own default format). */
  readonly writeOut: string | undefined;
  /** HTTPS settings for https:// endpoints; undefined when no TLS flag is given. */
  readonly tls: CliTlsOptions | undefined;
  /** --user / --password: every request carries a token of this user; undefined: none is sent. */
  readonly auth: CliCredentials | undefined;
}

export const DEFAULT_ENDPOINTS = 'http://127.0.0.1:2379';
export const DEFAULT_COMMAND_TIMEOUT = '10s';
/** etcdctl's default. */
export const DEFAULT_DIAL_TIMEOUT = '2s';

export function addGlobalOptions(program: Command): void {
  program
    .addOption(
      new Option(
        '--endpoints <urls>',
        `comma-separated client URLs of members (env FLOTILLA_ENDPOINTS; default ${DEFAULT_ENDPOINTS}); host:port means http://host:port`,
      ),
    )
    .addOption(
      new Option(
        '--command-timeout <duration>',
        `a command gives up after this, retries included, e.g. 5s, 500ms, 1m (env FLOTILLA_COMMAND_TIMEOUT; default ${DEFAULT_COMMAND_TIMEOUT})`,
      ),
    )
    .addOption(
      new Option(
        '--dial-timeout <duration>',
        `one attempt on one endpoint gives up after this and the next endpoint is tried (env FLOTILLA_DIAL_TIMEOUT; default ${DEFAULT_DIAL_TIMEOUT})`,
      ),
    )
    .addOption(
      new Option(
        '-w, --write-out <format>',
        'output format: simple, json or table (which ones a command prints is in its --help)',
      ),
    )
    .addOption(
      new Option(
        '--cacert <file>',
        "PEM CA that https:// endpoints' certificates must chain to (env FLOTILLA_CACERT; default: the system's CAs)",
      ),
    )
    .addOption(
      new Option(
        '--cert <file>',
        'PEM client certificate, for members started with --client-cert-auth (env FLOTILLA_CERT; needs --key)',
      ),
    )
    .addOption(new Option('--key <file>', 'PEM key of --cert (env FLOTILLA_KEY)'))
    .addOption(
      new Option(
        '--insecure-skip-tls-verify',
        'accept any server certificate: tests only, never in production (env FLOTILLA_INSECURE_SKIP_TLS_VERIFY=true)',
      ),
    )
    .addOption(
      new Option(
        '--user <name[:password]>',
        'user for a cluster with auth enabled, with its password after a colon or in --password (env FLOTILLA_USER)',
      ),
    )
    .addOption(
      new Option(
        '--password <password>',
        'password of --user, which may then contain colons (env FLOTILLA_PASSWORD)',
      ),
    );
}

/** etcdctl takes `127.0.0.1:2379` as well as `http://127.0.0.1:2379`. */
function endpointUrl(text: string): string {
  const withScheme = text.includes('://') ? text : `http://${text}`;
  if (!URL.canParse(withScheme))
    throw new UsageError(
      `--endpoints: ${JSON.stringify(text)} is not a URL (e.g. http://127.0.0.1:2379)`,
    );
  return withScheme.replace(/\/+$/, '');
}

/** The global settings of one invocation: flags over environment over defaults, validated. */
export function resolveGlobals(
  flags: Readonly<Record<string, unknown>>,
  env: NodeJS.ProcessEnv,
): GlobalOptions {
  const given = (flag: string, envName: string): string | undefined => {
    const value = flags[flag];
    if (typeof value === 'string') return value;
    const fromEnv = env[envName];
    return fromEnv !== undefined && fromEnv !== '' ? fromEnv : undefined;
  };
  const text = (flag: string, envName: string, fallback: string): string =>
    given(flag, envName) ?? fallback;
  const endpointsAsGiven = text('endpoints', 'FLOTILLA_ENDPOINTS', DEFAULT_ENDPOINTS)
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '');
  const endpoints = endpointsAsGiven.map(endpointUrl);
  if (endpoints.length === 0)
    throw new UsageError(
      '--endpoints: no URL given; pass e.g. --endpoints=http://127.0.0.1:2379 (or set FLOTILLA_ENDPOINTS)',
    );
  const writeOut = flags['writeOut'];
  return {
    endpoints,
    endpointsAsGiven,
    commandTimeoutMs: parseDurationMs(
      text('commandTimeout', 'FLOTILLA_COMMAND_TIMEOUT', DEFAULT_COMMAND_TIMEOUT),
      '--command-timeout',
    ),
    dialTimeoutMs: parseDurationMs(
      text('dialTimeout', 'FLOTILLA_DIAL_TIMEOUT', DEFAULT_DIAL_TIMEOUT),
      '--dial-timeout',
    ),
    writeOut: typeof writeOut === 'string' ? writeOut : undefined,
    tls: cliTlsOf(given, flags['insecureSkipTlsVerify'], env),
    auth: cliAuthOf(given('user', 'FLOTILLA_USER'), given('password', 'FLOTILLA_PASSWORD')),
  };
}

/** The -w value for a command that prints `formats` (the first is its default). */
export function writeOutOf(
  globals: GlobalOptions,
  command: string,
  formats: readonly string[],
): string {
  const format = globals.writeOut ?? formats[0]!;
  if (!formats.includes(format))
    throw new UsageError(
      `${command}: --write-out must be ${formats.join(' or ')}, got ${JSON.stringify(format)}`,
    );
  return format;
}
