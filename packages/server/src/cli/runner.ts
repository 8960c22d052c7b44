// Runs one client command: resolves the global flags (wherever they were on
// the line), builds the context (HTTP API, the remote KV client whose retries
// run to the --command-timeout deadline), and records the exit code.
import type { KV } from '@flotilla/client';
import type { Command } from 'commander';
import { readTlsFiles, tlsFetch, type TlsFetch } from './client-tls.js';
import type { CommandContext } from './command.js';
import { CommandTimeoutError, Deadline } from './deadline.js';
import { CliError } from './errors.js';
import { resolveGlobals, type GlobalOptions } from './globals.js';
import { HttpApi, tlsTrouble } from './http-api.js';

export interface RunIo {
  readonly env: NodeJS.ProcessEnv;
  readonly signal: AbortSignal;
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  readonly readStdin: () => Promise<string>;
}

/** A command's work; a number is its exit code (snapshot verify: 1 for a bad file). */
export type Body = (ctx: CommandContext) => Promise<number | void>;

/** What a cluster with auth on answers a request without a token. */
const NO_USER_ERRORS = new Set(['InvalidAuthTokenError', 'UserEmptyError']);

/** Back-off between attempts: short, since the deadline, not a count, ends the retries. */
const RETRY = { attemptsMax: Number.MAX_SAFE_INTEGER, backoffInitialMs: 25, backoffMaxMs: 500 };

export class Runner {
  /** The exit code of the command that ran. */
  code = 0;
  private kv: Promise<KV> | undefined;
  /** The TLS agent of the CLI's own HTTP calls, made on first use and closed with the runner. */
  private tls: Promise<TlsFetch | undefined> | undefined;
  /** Ends the HTTP API's requests still waiting when the command is over. */
  private readonly done = new AbortController();

  constructor(readonly io: RunIo) {}

  /** The global flags of this invocation (flags anywhere on the line, then the environment). */
  globals(cmd: Command): GlobalOptions {
    return resolveGlobals(cmd.optsWithGlobals(), this.io.env);
  }

  private context(cmd: Command): CommandContext {
    const globals = this.globals(cmd);
    const deadline = new Deadline(globals.commandTimeoutMs, globals.endpoints);
    const files = readTlsFiles(globals.tls);
    const fetchWithTls = (): Promise<TlsFetch | undefined> => (this.tls ??= tlsFetch(files));
    return {
      globals,
      api: new HttpApi({
        endpoints: globals.endpoints,
        timeoutMs: globals.commandTimeoutMs,
        signal: AbortSignal.any([this.done.signal, this.io.signal]),
        tlsFetch: fetchWithTls,
        auth: globals.auth,
      }),
      tlsFetch: fetchWithTls,
      kv: () => (this.kv ??= openKv(globals)),
      deadline,
      out: this.io.out,
      err: this.io.err,
      signal: this.io.signal,
      readStdin: this.io.readStdin,
    };
  }

  /**
   * A request/answer command: everything it does ends within --command-timeout.
   * `writes`: it changes data, so a timeout says the change may have been applied.
   */
  async bounded(cmd: Command, what: string, body: Body, writes = false): Promise<void> {
    const ctx = this.context(cmd);
    ctx.deadline.what = what;
    if (writes)
      ctx.deadline.note = '; the change may or may not have been applied: read it back to find out';
    ctx.deadline.start();
    try {
      this.code =
        (await ctx.deadline.race(
          Promise.race([
            this.withoutAuthIfOff(ctx, body),
            interrupted(this.io.signal, what, writes),
          ]),
        )) ?? 0;
    } catch (err) {
      if (ctx.globals.auth === undefined && err instanceof Error && NO_USER_ERRORS.has(err.name)) {
        throw new CliError(
          `${err.message}; auth is enabled on this cluster: pass --user name:password (or FLOTILLA_USER)`,
        );
      }
      // The client retries a failed TLS handshake like a refused connection, so a wrong CA or a
      // missing certificate would end as a bare timeout: name it.
      const trouble =
        err instanceof CommandTimeoutError ? await tlsTrouble(ctx.api, 1_000) : undefined;
      throw trouble === undefined
        ? err
        : new CommandTimeoutError(
            `${err instanceof Error ? err.message : String(err)}; ${trouble}`,
          );
    }
  }

  /** A command that runs until done or interrupted (watch, lease keepalive, snapshot); it bounds its own steps. */
  async open(cmd: Command, what: string, body: Body): Promise<void> {
    const ctx = this.context(cmd);
    ctx.deadline.what = what;
    this.code = (await this.withoutAuthIfOff(ctx, body)) ?? 0;
  }

  /**
   * As etcdctl, --user on a cluster without auth is not an error. The KV client logs in before
   * its first request and fails with AuthNotEnabledError; nothing was sent yet, so the body runs
   * again with a client that sends no token.
   */
  private async withoutAuthIfOff(ctx: CommandContext, body: Body): Promise<number | void> {
    try {
      return await body(ctx);
    } catch (err) {
      if (
        ctx.globals.auth === undefined ||
        !(err instanceof Error) ||
        err.name !== 'AuthNotEnabledError' ||
        this.kv === undefined
      )
        throw err;
      const loggedIn = this.kv;
      this.kv = undefined;
      await loggedIn.then((k) => k.close()).catch(() => undefined);
      const globals = { ...ctx.globals, auth: undefined };
      return body({ ...ctx, globals, kv: () => (this.kv ??= openKv(globals)) });
    }
  }

  async close(): Promise<void> {
    this.done.abort();
    await this.kv?.then((k) => k.close()).catch(() => undefined);
    await this.tls?.then((t) => t?.dispatcher.destroy()).catch(() => undefined);
  }
}

/** Rejects when Ctrl-C / SIGTERM arrives: a command retrying until its deadline stops at once instead. */
function interrupted(signal: AbortSignal, what: string, writes: boolean): Promise<never> {
  return new Promise((_, reject) => {
    const stop = (): void =>
      reject(
        new CliError(
          `${what}: interrupted${writes ? '; the change may or may not have been applied: read it back to find out' : ''}`,
        ),
      );
    if (signal.aborted) stop();
    else signal.addEventListener('abort', stop, { once: true });
  });
}

/** The remote backend of @flotilla/client, loaded only by the commands that need it. */
async function openKv(globals: GlobalOptions): Promise<KV> {
  const { remoteKv } = await import('@flotilla/client');
  return remoteKv({
    endpoints: globals.endpoints,
    requestTimeoutMs: globals.dialTimeoutMs,
    retry: RETRY,
    ...(globals.tls ? { tls: globals.tls } : {}),
    ...(globals.auth ? { auth: globals.auth } : {}),
  });
}
