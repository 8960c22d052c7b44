// The churn nemesis' MemberApi over Flotilla's etcd-compatible HTTP API:
// member list / remove / add through one member's client URL. A re-added
// member is announced with its REAL peer URL, as an operator would; every
// process dials it through its own proxy anyway (its --peer-route). With
// --secure the calls go over HTTPS with the client certificate and root's token.
import { memberIdOf } from '@flotilla/server';
import type { MemberApi } from '../nemesis/churn.js';

/** How to make a call: a fetch (with the TLS agent under --secure) and the headers (root's token). */
export interface RequestSetup {
  readonly fetch: typeof fetch;
  readonly headers: Record<string, string>;
}

/** What the API needs of the target: where each member serves clients and listens for peers. */
export interface MemberUrls {
  readonly names: readonly string[];
  clientUrl(node: number): string;
  peerUrl(node: number): string;
  /** The TLS agent and Authorization header of a call through `node` (--secure); undefined: plain fetch. */
  requestInit?(node: number, timeoutMs: number): Promise<RequestSetup>;
}

/** A member change waits for its entry to apply (and add announces the peer to every member): well above a commit. */
export const MEMBER_REQUEST_TIMEOUT_MS = 5_000;

async function post(
  target: MemberUrls,
  via: number,
  path: string,
  body: unknown,
  timeoutMs: number,
): Promise<Record<string, unknown>> {
  const url = `${target.clientUrl(via)}${path}`;
  const setup = (await target.requestInit?.(via, timeoutMs)) ?? { fetch, headers: {} };
  const res = await setup.fetch(url, {
    method: 'POST',
    body: JSON.stringify(body),
    headers: setup.headers,
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`HTTP ${res.status} from ${url}: ${text.slice(0, 200)}`);
  return JSON.parse(text) as Record<string, unknown>;
}

export function httpMemberApi(
  target: MemberUrls,
  timeoutMs = MEMBER_REQUEST_TIMEOUT_MS,
): MemberApi {
  const name = (i: number): string => target.names[i] ?? String(i);
  return {
    async voters(via) {
      const json = await post(target, via, '/v3/cluster/member/list', {}, timeoutMs);
      const members = (json['members'] ?? []) as { name?: string; isLearner?: boolean }[];
      return members.filter((m) => m.isLearner !== true && m.name).map((m) => m.name as string);
    },
    async remove(via, victim) {
      await post(
        target,
        via,
        '/v3/cluster/member/remove',
        { ID: String(memberIdOf(name(victim))) },
        timeoutMs,
      );
    },
    async add(via, victim) {
      await post(
        target,
        via,
        '/v3/cluster/member/add',
        { name: name(victim), peerURLs: [target.peerUrl(victim)], isLearner: false },
        timeoutMs,
      );
    },
  };
}
