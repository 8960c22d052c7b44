// `pnpm jepsen --secure`: the Flotilla target with TLS everywhere and auth on.
// Certificates are made at run time (tools/gen-certs.js) for n1..nN and the
// suite's client; every port is HTTPS with client-certificate auth, peers use
// mutual TLS. The per-pair proxies are plain TCP proxies, so the TLS session
// runs end to end through them and each peer still sees the certificate of
// the member it dialled. Once the cluster has a leader, root is created and
// auth enabled; the workloads' clients then log in as root.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Agent, fetch } from 'undici';
import { generateCerts } from '../../../tools/gen-certs.js';
import { memberTlsArgs } from '@flotilla/server/process-cluster';

export interface SecureSetup {
  readonly certDir: string;
  readonly rootPassword: string;
  /** remoteKv's `tls` option for the suite's clients. */
  readonly clientTls: { readonly cacert: string; readonly cert: string; readonly key: string };
  /** The undici agent of the suite's own JSON calls (auth setup, churn's member API). */
  readonly dispatcher: Agent;
}

/** A CA and a certificate for each member and for `client`, in baseDir/certs. */
export function makeSecureSetup(baseDir: string, names: readonly string[]): SecureSetup {
  const certDir = path.join(baseDir, 'certs');
  generateCerts(certDir, [...names, 'client']);
  const clientTls = {
    cacert: path.join(certDir, 'ca.crt'),
    cert: path.join(certDir, 'client.crt'),
    key: path.join(certDir, 'client.key'),
  };
  const dispatcher = new Agent({
    connect: {
      ca: fs.readFileSync(clientTls.cacert),
      cert: fs.readFileSync(clientTls.cert),
      key: fs.readFileSync(clientTls.key),
    },
  });
  return { certDir, rootPassword: randomBytes(12).toString('base64url'), clientTls, dispatcher };
}

/** The `flotilla start` TLS flags of a member. */
export function secureStartArgs(setup: SecureSetup, name: string): string[] {
  return memberTlsArgs(setup.certDir, name);
}

/** A fetch that shows the client certificate and trusts the run's CA. */
export function secureFetch(setup: SecureSetup): typeof globalThis.fetch {
  return ((url: string, init: RequestInit) =>
    fetch(url, {
      ...(init as object),
      dispatcher: setup.dispatcher,
    })) as unknown as typeof globalThis.fetch;
}

/** POSTs JSON with the client certificate; throws with the server's message on an error answer. */
export async function securePost(
  setup: SecureSetup,
  url: string,
  body: unknown,
  timeoutMs: number,
  headers: Record<string, string> = {},
): Promise<Record<string, unknown>> {
  const res = await fetch(url, {
    method: 'POST',
    body: JSON.stringify(body),
    headers,
    dispatcher: setup.dispatcher,
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`HTTP ${res.status} from ${url}: ${text.slice(0, 200)}`);
  return JSON.parse(text) as Record<string, unknown>;
}

/** Logs in as root: the Authorization header for the suite's own calls (a token lasts 300 s, so each caller logs in anew). */
export async function rootHeaders(
  setup: SecureSetup,
  clientUrl: string,
  timeoutMs: number,
): Promise<Record<string, string>> {
  const res = await securePost(
    setup,
    `${clientUrl}/v3/auth/authenticate`,
    { name: 'root', password: setup.rootPassword },
    timeoutMs,
  );
  return { authorization: String(res['token']) };
}

/** root with the root role, then auth enable, through one member. */
export async function enableRootAuth(
  setup: SecureSetup,
  clientUrl: string,
  timeoutMs: number,
): Promise<void> {
  await securePost(
    setup,
    `${clientUrl}/v3/auth/user/add`,
    { name: 'root', password: setup.rootPassword },
    timeoutMs,
  );
  await securePost(
    setup,
    `${clientUrl}/v3/auth/user/grant`,
    { user: 'root', role: 'root' },
    timeoutMs,
  );
  await securePost(setup, `${clientUrl}/v3/auth/enable`, {}, timeoutMs);
}
