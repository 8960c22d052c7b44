// Sends WireRequests to an endpoint and normalises the answers so etcd's and
// Flotilla's can be compared: ids that must differ (cluster, member, term)
// are dropped; the remaining TTL of a lease is dropped (it is a clock reading).
import type { WireRequest } from './differential-cases.js';

export interface WireAnswer {
  readonly status: number;
  readonly body: unknown;
}

export async function send(endpoint: string, request: WireRequest): Promise<WireAnswer> {
  const method = request.method ?? 'POST';
  const init: RequestInit = { method, signal: AbortSignal.timeout(10_000) };
  if (method !== 'GET')
    init.body = typeof request.body === 'string' ? request.body : JSON.stringify(request.body);
  const res = await fetch(`${endpoint}${request.path}`, init);
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON (etcd answers unknown paths in plain text); compared by status only.
  }
  return { status: res.status, body };
}

const DROPPED_HEADER_FIELDS = new Set(['cluster_id', 'member_id', 'raft_term']);

function normaliseValue(value: unknown, key: string | undefined, path: string): unknown {
  if (Array.isArray(value)) return value.map((v) => normaliseValue(v, undefined, path));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (key === 'header' && DROPPED_HEADER_FIELDS.has(k)) continue;
    if (k === 'TTL' && path.endsWith('/timetolive')) continue;
    out[k] = normaliseValue(v, k, path);
  }
  return out;
}

/** What is compared for one request, per its `compare` mode. */
export function normalise(request: WireRequest, answer: WireAnswer): unknown {
  const mode = request.compare ?? 'body';
  if (mode === 'status') return { status: answer.status };
  const body = answer.body as { code?: unknown; error?: unknown } | undefined;
  if (mode === 'status-and-code')
    return { status: answer.status, code: typeof body === 'object' ? body?.code : undefined };
  if (answer.status !== 200 && typeof body === 'object' && typeof body?.error === 'string') {
    // Flotilla may add its own advice after etcd's text, in parentheses.
    return { status: answer.status, code: body.code, error: body.error.replace(/ \(.*\)$/s, '') };
  }
  return { status: answer.status, body: normaliseValue(answer.body, undefined, request.path) };
}

/** Reads a newline-delimited JSON stream until `count` objects arrived. */
export async function readWatchLines(
  endpoint: string,
  body: unknown,
  count: number,
  whileOpen: () => Promise<void>,
): Promise<unknown[]> {
  const controller = new AbortController();
  const res = await fetch(`${endpoint}/v3/watch`, {
    method: 'POST',
    body: JSON.stringify(body),
    signal: controller.signal,
  });
  if (!res.body) throw new Error('watch answered without a body');
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  const lines: unknown[] = [];
  let buffer = '';
  const readUntil = async (n: number): Promise<void> => {
    const deadline = Date.now() + 10_000;
    while (lines.length < n) {
      if (Date.now() > deadline)
        throw new Error(`watch: ${lines.length} of ${n} lines within 10 s`);
      const { value, done } = await reader.read();
      if (done) throw new Error(`watch stream ended after ${lines.length} of ${n} lines`);
      buffer += decoder.decode(value, { stream: true });
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl).trim();
        buffer = buffer.slice(nl + 1);
        if (line) lines.push(JSON.parse(line));
      }
    }
  };
  try {
    await readUntil(1);
    await whileOpen();
    await readUntil(count);
  } finally {
    controller.abort();
  }
  return lines.map((l) => normaliseValue(l, undefined, '/v3/watch'));
}
