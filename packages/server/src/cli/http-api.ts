// The CLI's connection to a cluster for the calls that are not part of the
// KV interface (member, endpoint, move-leader): etcd v3 JSON over HTTP to the
// first endpoint that accepts a connection. A request is tried on the next
// endpoint only when it was never delivered (connection refused), so a
// membership change is never sent twice by accident.
import { CliError } from './errors.js';

export type JsonBody = Record<string, unknown>;

export interface ApiOptions {
  readonly endpoints: readonly string[];
  /** One request on one endpoint ends within this. */
  readonly timeoutMs: number;
  /** Ends every request still waiting (the command finished or timed out). */
  readonly signal: AbortSignal;
}

function refused(err: unknown): boolean {
  const cause = (err as { cause?: { code?: string } })?.cause;
  return cause?.code === 'ECONNREFUSED' || cause?.code === 'ENOTFOUND' || cause?.code === 'EHOSTUNREACH';
}

function reason(err: unknown): string {
  return (err as { cause?: Error }).cause?.message ?? (err as Error).message;
}

export class HttpApi {
  constructor(readonly options: ApiOptions) {}

  private signal(timeoutMs: number): AbortSignal {
    return AbortSignal.any([AbortSignal.timeout(timeoutMs), this.options.signal]);
  }

  /** POSTs to one endpoint; throws CliError with the server's message on an error answer. */
  async postTo(endpoint: string, path: string, body: JsonBody, timeoutMs = this.options.timeoutMs): Promise<JsonBody> {
    let res: Response;
    try {
      res = await fetch(`${endpoint}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: this.signal(timeoutMs),
      });
    } catch (err) {
      if ((err as Error).name === 'TimeoutError') throw new CliError(`${endpoint}: no answer within ${timeoutMs} ms`);
      throw Object.assign(new CliError(`cannot reach ${endpoint}: ${reason(err)}`), { cause: err });
    }
    const text = await res.text();
    let json: JsonBody;
    try {
      json = JSON.parse(text) as JsonBody;
    } catch {
      throw new CliError(`${endpoint}${path} answered ${res.status} with a non-JSON body: ${text.slice(0, 200)}`);
    }
    if (!res.ok) throw new CliError(`${String(json['message'] ?? json['error'] ?? `HTTP ${res.status}`)} (from ${endpoint})`);
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
    throw new CliError(`no endpoint accepted the connection (${this.options.endpoints.join(', ')}): ${(lastError as Error).message}; is the cluster running?`);
  }

  async getJson(endpoint: string, path: string, timeoutMs = this.options.timeoutMs): Promise<JsonBody> {
    try {
      const res = await fetch(`${endpoint}${path}`, { signal: this.signal(timeoutMs) });
      return (await res.json()) as JsonBody;
    } catch (err) {
      if ((err as Error).name === 'TimeoutError') throw new CliError(`${endpoint}: no answer within ${timeoutMs} ms`);
      throw new CliError(`cannot reach ${endpoint}: ${reason(err)}`);
    }
  }
}
