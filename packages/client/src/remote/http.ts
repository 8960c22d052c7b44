// One HTTP attempt against one endpoint, and what its failure means for a
// retry: never sent (safe to retry anything), refused by the server before it
// did anything (not leader, no leader: safe), or sent with no answer
// (unknown: only reads and exactly-once writes may be repeated). Streams
// (watch, lease keep-alive) use fetch here; unary calls use the pooled
// node:http client in unary.ts.
import { type ErrorCategory, FlotillaError } from '@flotilla/errors';

import https from 'node:https';
import { Readable } from 'node:stream';
import { errorFromData, type KvErrorData } from '@flotilla/kv';
import { UnexpectedResponseError } from '../errors.js';
import { kvErrorFromEtcdMessage } from '../etcd-errors.js';
import { asWire, get } from '../wire.js';
import { isTlsFailure } from './tls.js';

export type FailureKind = 'notSent' | 'refused' | 'unknown';

export class AttemptError extends FlotillaError {
  override readonly name = 'AttemptError';
  /** A request that may have reached the server ('unknown') may have been applied. */
  get category(): ErrorCategory {
    return this.kind === 'unknown' ? 'outcomeUnknown' : 'notApplied';
  }
  constructor(
    readonly kind: FailureKind,
    readonly endpoint: string,
    message: string,
    /** Where the server said the leader is, if it did. */
    readonly leaderHint?: string,
    options?: { cause?: unknown },
  ) {
    super(`${endpoint}: ${message}`, options);
  }
}

/** An HTTP error answer that is not a store error (bad request, auth, unknown path). */
export class ServerError extends FlotillaError {
  readonly category: ErrorCategory = 'badInput';
  override readonly name = 'ServerError';
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
  ) {
    super(`server answered ${status}: ${message}`);
  }
}

const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'EAI_AGAIN',
]);

function causeCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let depth = 0; depth < 4 && e; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

export interface PostOptions {
  headers?: Record<string, string>;
  timeoutMs: number;
  signal?: AbortSignal;
  /** For https:// endpoints: the agent holding the TLS settings (CA, client certificate). */
  httpsAgent?: https.Agent;
}

/** A request that failed before any answer: never sent, or sent with no answer (unknown). */
export function failureOf(endpoint: string, err: unknown): AttemptError {
  const code = causeCode(err);
  if (isTlsFailure(code)) {
    const message =
      err instanceof Error
        ? err.cause instanceof Error
          ? err.cause.message
          : err.message
        : String(err);
    return new AttemptError(
      'notSent',
      endpoint,
      `TLS handshake failed (${code}): ${message.trim()}; check the CA (--cacert) and client certificate (--cert/--key), and that the server speaks TLS`,
      undefined,
      { cause: err },
    );
  }
  const kind: FailureKind = code && NOT_SENT_CODES.has(code) ? 'notSent' : 'unknown';
  return new AttemptError(
    kind,
    endpoint,
    `request failed (${code ?? (err as Error).name})`,
    undefined,
    { cause: err },
  );
}

/**
 * POSTs JSON and resolves with the open streamed response (status 200), or
 * throws AttemptError / a typed error. `timeoutMs` bounds only the time until
 * the headers arrive.
 */
export async function postStream(
  endpoint: string,
  path: string,
  body: unknown,
  options: PostOptions,
): Promise<Response> {
  const timeout = new AbortController();
  const timer = setTimeout(
    () => timeout.abort(new DOMException('request timed out', 'TimeoutError')),
    options.timeoutMs,
  );
  const signal = options.signal
    ? AbortSignal.any([timeout.signal, options.signal])
    : timeout.signal;
  let res: Response;
  try {
    const init = {
      headers: { 'content-type': 'application/json', ...options.headers },
      body: JSON.stringify(body),
      signal,
    };
    res =
      options.httpsAgent !== undefined && endpoint.startsWith('https:')
        ? await postHttps(`${endpoint}${path}`, init, options.httpsAgent)
        : await fetch(`${endpoint}${path}`, { ...init, method: 'POST', redirect: 'manual' });
  } catch (err) {
    clearTimeout(timer);
    throw failureOf(endpoint, err);
  }
  // The stream outlives the timeout, which covered connecting and the headers.
  clearTimeout(timer);
  if (res.status === 200) return res;
  if (res.status === 307 || res.status === 308) {
    await res.body?.cancel();
    const location = res.headers.get('location') ?? undefined;
    const hint = location ? new URL(location, endpoint).origin : undefined;
    throw new AttemptError('refused', endpoint, `redirected to ${location ?? 'nowhere'}`, hint);
  }
  const text = await res.text().catch(() => '');
  throw errorFromAnswer(
    endpoint,
    res.status,
    text,
    res.headers.get('x-flotilla-leader') ?? undefined,
  );
}

/**
 * A streamed POST over node:https, answered as a fetch Response: fetch takes
 * no CA or client certificate without a separate undici dispatcher, and an
 * https.Agent already holds them for the unary calls.
 */
function postHttps(
  url: string,
  init: { headers: Record<string, string>; body: string; signal: AbortSignal },
  agent: https.Agent,
): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      { method: 'POST', headers: init.headers, agent, signal: init.signal },
      (res) => {
        const headers = new Headers();
        for (const [name, value] of Object.entries(res.headers))
          if (value !== undefined)
            headers.set(name, Array.isArray(value) ? value.join(', ') : value);
        resolve(
          new Response(Readable.toWeb(res) as ReadableStream<Uint8Array>, {
            status: res.statusCode ?? 0,
            headers,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(init.body);
  });
}

/** The error an HTTP error answer stands for. */
export function errorFromAnswer(
  endpoint: string,
  status: number,
  text: string,
  leaderHint?: string,
): Error {
  let body: Record<string, unknown> = {};
  try {
    body = asWire(JSON.parse(text));
  } catch {
    // Not JSON (a proxy's page, say): fall through with the raw text.
  }
  const message = String(get(body, 'message') ?? get(body, 'error') ?? text ?? `HTTP ${status}`);
  const typed = typedFlotillaError(body) ?? kvErrorFromEtcdMessage(message);
  if (typed) return typed;
  if (status === 503 || /not leader|no leader|leader changed/i.test(message)) {
    // etcd's "request timed out" is also 503, but a proposal may have been applied: unknown.
    const kind: FailureKind =
      /not leader|no leader|leader changed|not ready|starting|stopping/i.test(message)
        ? 'refused'
        : 'unknown';
    return new AttemptError(kind, endpoint, `unavailable: ${message}`, leaderHint);
  }
  if (status >= 500)
    return new AttemptError('unknown', endpoint, `server error ${status}: ${message}`);
  return new ServerError(status, Number(get(body, 'code') ?? 0), message);
}

/** A Flotilla server may name the @flotilla/kv error class (`name` + `fields`) next to etcd's fields. */
function typedFlotillaError(body: Record<string, unknown>): Error | undefined {
  const name = get(body, 'name');
  if (typeof name !== 'string' || !name.endsWith('Error')) return undefined;
  const fields = asWire(get(body, 'fields'));
  const numeric: Record<string, number> = {};
  for (const [k, v] of Object.entries(fields)) if (typeof v === 'number') numeric[k] = v;
  const error = errorFromData({
    name,
    message: String(get(body, 'message') ?? name),
    fields: numeric,
  } as KvErrorData);
  return error.name === name ? error : undefined;
}

/** Splits a streamed body into JSON messages (one per line, as etcd's gateway writes them). */
export async function* jsonLines(res: Response, lineBytesMax: number): AsyncGenerator<unknown> {
  if (!res.body) return;
  const decoder = new TextDecoder();
  let buffered = '';
  for await (const chunk of res.body) {
    buffered += decoder.decode(chunk as Uint8Array, { stream: true });
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl).trim();
      buffered = buffered.slice(nl + 1);
      if (line) yield JSON.parse(line);
    }
    if (buffered.length > lineBytesMax)
      throw new UnexpectedResponseError(
        `a streamed message exceeded ${lineBytesMax} bytes (lineBytesMax)`,
      );
  }
  const rest = buffered.trim();
  if (rest) yield JSON.parse(rest);
}
