// The CLI's connection to a cluster for the calls that are not part of the
// KV interface (member, endpoint, move-leader): etcd v3 JSON over HTTP to the
// first endpoint that accepts a connection. A request is tried on the next
// endpoint only when it was never delivered (connection refused), so a
// membership change is never sent twice by accident. With --user, the first
// request logs in (POST /v3/auth/authenticate) and every request carries the
// token in the Authorization header: one login per command (tokens are valid
// on every member).
import { isTlsError } from '@flotilla/transport';
import type { CliCredentials } from './client-auth.js';
import type { TlsFetch } from './client-tls.js';
import { CliError } from './errors.js';

export type JsonBody = Record<string, unknown>;

export interface ApiOptions {
  readonly endpoints: readonly string[];
  /** One request on one endpoint ends within this. */
  readonly timeoutMs: number;
  /** Ends every request still waiting (the command finished or timed out). */
  readonly signal: AbortSignal;
  /** fetch with the CA and client certificate for https:// endpoints (--cacert, --cert, --key); undefined: the built-in fetch. */
  readonly tlsFetch: () => Promise<TlsFetch | undefined>;
  /** --user / --password; undefined: no Authorization header. */
  readonly auth?: CliCredentials | undefined;
}

const LOGIN_PATH = '/v3/auth/authenticate';
/** etcd's answer to a login on a cluster without auth. */
export const AUTH_NOT_ENABLED = /authentication is not enabled/;

function refused(err: unknown): boolean {
  const cause = (err as { cause?: { code?: string } })?.cause;
  return (
    cause?.code === 'ECONNREFUSED' || cause?.code === 'ENOTFOUND' || cause?.code === 'EHOSTUNREACH'
  );
}

/** Says what to check for a failed TLS handshake: it does not fix itself by retrying. */
function reason(err: unknown): string {
  const cause = (err as { cause?: NodeJS.ErrnoException }).cause;
  if (cause !== undefined && isTlsError(cause)) {
    return `TLS handshake failed (${cause.code}): ${cause.message.trim()}; check --cacert (the CA of the server's certificate) and --cert/--key (for a member with --client-cert-auth)`;
  }
  return cause?.message ?? (err as Error).message;
}

/** The first https:// endpoint whose TLS handshake fails, with why; undefined when all of them complete it. */
export async function tlsTrouble(api: HttpApi, timeoutMs: number): Promise<string | undefined> {
  for (const endpoint of api.options.endpoints.filter((e) => e.startsWith('https:'))) {
    const answer = await api.getJson(endpoint, '/health', timeoutMs).then(
      () => undefined,
      (err: Error) => err.message,
    );
    if (answer?.includes('TLS handshake failed')) return answer;
  }
  return undefined;
}

export class HttpApi {
  /** The login of this command, made on the first request that needs it. */
  private token: Promise<string> | undefined;

  constructor(readonly options: ApiOptions) {}

  /**
   * The Authorization header of --user (logging in once), or none without it. As etcdctl,
   * --user on a cluster without auth is not an error: the requests go without a token.
   */
  async authHeaders(): Promise<Record<string, string>> {
    const auth = this.options.auth;
    if (auth === undefined) return {};
    this.token ??= this.post(LOGIN_PATH, { name: auth.user, password: auth.password }).then(
      (res) => String(res['token'] ?? ''),
      (err: Error) => {
        if (AUTH_NOT_ENABLED.test(err.message)) return '';
        throw err;
      },
    );
    const token = await this.token;
    return token === '' ? {} : { authorization: token };
  }

  /** The built-in fetch, or undici's with the TLS agent (the two take the same request options). */
  private async fetch(url: string, init: RequestInit): Promise<Response> {
    const tls = await this.options.tlsFetch();
    if (tls === undefined) return fetch(url, init);
    return (await tls.fetch(url, {
      ...(init as object),
      dispatcher: tls.dispatcher,
    })) as unknown as Response;
  }

  private signal(timeoutMs: number): AbortSignal {
    return AbortSignal.any([AbortSignal.timeout(timeoutMs), this.options.signal]);
  }

  /** POSTs to one endpoint; throws CliError with the server's message on an error answer. */
  async postTo(
    endpoint: string,
    path: string,
    body: JsonBody,
    timeoutMs = this.options.timeoutMs,
  ): Promise<JsonBody> {
    const auth = path === LOGIN_PATH ? {} : await this.authHeaders();
    let res: Response;
    try {
      res = await this.fetch(`${endpoint}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...auth },
        body: JSON.stringify(body),
        signal: this.signal(timeoutMs),
      });
    } catch (err) {
      if ((err as Error).name === 'TimeoutError')
        throw new CliError(`${endpoint}: no answer within ${timeoutMs} ms`);
      throw Object.assign(new CliError(`cannot reach ${endpoint}: ${reason(err)}`), { cause: err });
    }
    const text = await res.text();
    let json: JsonBody;
    try {
      json = JSON.parse(text) as JsonBody;
    } catch {
      throw new CliError(
        `${endpoint}${path} answered ${res.status} with a non-JSON body: ${text.slice(0, 200)}`,
      );
    }
    if (!res.ok) {
      const message = String(json['message'] ?? json['error'] ?? `HTTP ${res.status}`);
      // etcdctl's words for a login refused by a cluster without auth, and a hint for a request without --user.
      // A hint for a request without --user to a cluster with auth on.
      const hint =
        /invalid auth token|user name is empty/.test(message) && this.options.auth === undefined
          ? '; auth is enabled on this cluster: pass --user name:password (or FLOTILLA_USER)'
          : '';
      throw new CliError(`${message} (from ${endpoint})${hint}`);
    }
    return json;
  }

  /** POSTs to the first endpoint that accepts the connection. */
  async post(path: string, body: JsonBody = {}): Promise<JsonBody> {
    let lastError: unknown;
    for (const endpoint of this.options.endpoints) {
      try {
        return await this.postTo(endpoint, path, body);
      } catch (err) {
        if (!refused((err as { cause?: unknown }).cause)) throw err;
        lastError = err;
      }
    }
    throw new CliError(
      `no endpoint accepted the connection (${this.options.endpoints.join(', ')}): ${(lastError as Error).message}; is the cluster running?`,
    );
  }

  async getJson(
    endpoint: string,
    path: string,
    timeoutMs = this.options.timeoutMs,
  ): Promise<JsonBody> {
    const headers = await this.authHeaders();
    try {
      const res = await this.fetch(`${endpoint}${path}`, {
        headers,
        signal: this.signal(timeoutMs),
      });
      return (await res.json()) as JsonBody;
    } catch (err) {
      if ((err as Error).name === 'TimeoutError')
        throw new CliError(`${endpoint}: no answer within ${timeoutMs} ms`);
      throw new CliError(`cannot reach ${endpoint}: ${reason(err)}`);
    }
  }
}
