// HTTPS for the remote client, with etcdctl's option names: --cacert (the CA
// that the server's certificate must chain to; default: the system's CAs),
// --cert/--key (a client certificate, for servers with --client-cert-auth),
// --insecure-skip-tls-verify (accept any server certificate: tests only).
import { readFileSync } from 'node:fs';
import https from 'node:https';

export interface RemoteTlsOptions {
  /** PEM CA bundle file that servers' certificates must chain to (etcdctl --cacert). */
  readonly cacert?: string;
  /** PEM client certificate file (etcdctl --cert); needs `key`. */
  readonly cert?: string;
  /** PEM private key file of `cert` (etcdctl --key). */
  readonly key?: string;
  /** Do not verify the server's certificate (etcdctl --insecure-skip-tls-verify). Never in production. */
  readonly insecureSkipTlsVerify?: boolean;
}

/** What https.Agent takes, read from the files once. */
export interface RemoteTls {
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
  readonly rejectUnauthorized: boolean;
}

function readPem(file: string, what: string): Buffer {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    throw new RangeError(`cannot read ${what} '${file}': ${(err as Error).message}`);
  }
  if (!bytes.includes('-----BEGIN '))
    throw new RangeError(`${what} '${file}' is not a PEM file (no -----BEGIN line)`);
  return bytes;
}

export function loadRemoteTls(options: RemoteTlsOptions): RemoteTls {
  if ((options.cert === undefined) !== (options.key === undefined)) {
    throw new RangeError(
      'a client certificate needs both tls.cert and tls.key (etcdctl --cert and --key)',
    );
  }
  return {
    ...(options.cacert !== undefined ? { ca: readPem(options.cacert, 'CA file (--cacert)') } : {}),
    ...(options.cert !== undefined
      ? { cert: readPem(options.cert, 'client certificate (--cert)') }
      : {}),
    ...(options.key !== undefined ? { key: readPem(options.key, 'client key (--key)') } : {}),
    rejectUnauthorized: options.insecureSkipTlsVerify !== true,
  };
}

/** Options for an https.Agent that speaks to servers as configured. */
export function agentTlsOptions(tls: RemoteTls | undefined): https.AgentOptions {
  if (tls === undefined) return {};
  return {
    ...(tls.ca ? { ca: tls.ca } : {}),
    ...(tls.cert ? { cert: tls.cert } : {}),
    ...(tls.key ? { key: tls.key } : {}),
    rejectUnauthorized: tls.rejectUnauthorized,
  };
}

const TLS_CODE =
  /^(ERR_SSL_|ERR_TLS_|EPROTO$|CERT_|DEPTH_ZERO_SELF_SIGNED_CERT$|SELF_SIGNED_CERT_IN_CHAIN$|UNABLE_TO_(GET|VERIFY)_|ERR_SSL)/;

/** Whether a connection error is a failed TLS handshake (the request was never sent). */
export function isTlsFailure(code: string | undefined): boolean {
  return code !== undefined && TLS_CODE.test(code);
}
