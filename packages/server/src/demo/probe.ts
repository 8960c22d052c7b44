// Small HTTP helpers the demo uses to talk to its members (etcd v3 JSON).
import { type ErrorCategory, FlotillaError } from '@flotilla/errors';
import type { StatusReport } from '../http/report.js';

export const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
export const unb64 = (s: unknown): string =>
  typeof s === 'string' ? Buffer.from(s, 'base64').toString('utf8') : '';

/** The Authorization header of every request the demo makes, once it has logged in (--secure). */
let authorization: Record<string, string> = {};

/** From now on every request carries this token (a Flotilla token is valid on every member until it expires). */
export function useToken(token: string): void {
  authorization = { authorization: token };
}

/** The header to send: the token of useToken, or none. */
export function authHeaders(): Record<string, string> {
  return authorization;
}

export class RequestFailed extends FlotillaError {
  readonly category: ErrorCategory = 'notApplied';
  override readonly name = 'RequestFailed';
}

export async function post(
  endpoint: string,
  path: string,
  body: unknown,
  timeoutMs = 2_000,
  headers: Record<string, string> = {},
): Promise<Record<string, unknown>> {
  let res: Response;
  try {
    res = await fetch(`${endpoint}${path}`, {
      method: 'POST',
      body: JSON.stringify(body),
      headers: { ...authorization, ...headers },
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    throw new RequestFailed(
      `${endpoint}${path}: ${(err as { cause?: Error }).cause?.message ?? (err as Error).message}`,
    );
  }
  const json = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  if (!res.ok)
    throw new RequestFailed(`${endpoint}${path}: ${String(json['message'] ?? res.status)}`);
  return json;
}

export async function status(
  endpoint: string,
  timeoutMs = 1_000,
): Promise<StatusReport | undefined> {
  try {
    const res = await fetch(`${endpoint}/flotilla/status`, {
      signal: AbortSignal.timeout(timeoutMs),
    });
    return res.ok ? ((await res.json()) as StatusReport) : undefined;
  } catch {
    return undefined;
  }
}

/** Polls `check` every `intervalMs` until it returns a value, or fails after `timeoutMs`. */
export async function pollUntil<T>(
  what: string,
  timeoutMs: number,
  check: () => Promise<T | undefined>,
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
