// TLS on the client port, with etcd's meanings: --cert-file and --key-file
// (what the server presents), --trusted-ca-file and --client-cert-auth
// (require every client to show a certificate that chains to that CA).
// Files are read once, at start, with errors that name the flag and file.
import { TransportOptionsError, readPemFile } from '@flotilla/transport';

export interface ClientTlsOptions {
  /** PEM certificate the server presents (--cert-file). */
  readonly certFile: string;
  /** Its PEM private key (--key-file). */
  readonly keyFile: string;
  /** PEM CA bundle client certificates must chain to (--trusted-ca-file); needed with clientCertAuth. */
  readonly trustedCaFile?: string;
  /** Require and verify a client certificate on every connection (--client-cert-auth). Default false. */
  readonly clientCertAuth?: boolean;
}

export interface ClientTls {
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly ca: Buffer | undefined;
  readonly clientCertAuth: boolean;
}

export function loadClientTls(options: ClientTlsOptions): ClientTls {
  const clientCertAuth = options.clientCertAuth ?? false;
  if (clientCertAuth && options.trustedCaFile === undefined) {
    throw new TransportOptionsError(
      '--client-cert-auth needs --trusted-ca-file: the CA that client certificates must chain to',
    );
  }
  return {
    cert: readPemFile(options.certFile, 'client-port certificate (--cert-file)'),
    key: readPemFile(options.keyFile, 'client-port key (--key-file)'),
    ca:
      options.trustedCaFile === undefined
        ? undefined
        : readPemFile(options.trustedCaFile, 'client-port trusted CA (--trusted-ca-file)'),
    clientCertAuth,
  };
}

/** What a failed client TLS handshake most likely was, for the failure counter's `reason` label. */
export function clientTlsFailureReason(
  err: NodeJS.ErrnoException,
): 'plaintext' | 'certificate' | 'timeout' | 'handshake' {
  const code = err.code ?? '';
  if (
    /HTTP_REQUEST|WRONG_VERSION_NUMBER|UNKNOWN_PROTOCOL|PACKET_LENGTH_TOO_LONG|HTTPS_PROXY_REQUEST/.test(
      code,
    )
  )
    return 'plaintext';
  if (/CERT|UNKNOWN_CA|BAD_CERTIFICATE/.test(code) || /certificate/i.test(err.message))
    return 'certificate';
  if (/TIMEOUT/.test(code)) return 'timeout';
  return 'handshake';
}

/** The CLI's client-port TLS flags as parsed, before any check (etcd's names). */
export interface ClientTlsFlags {
  readonly certFile?: string | undefined;
  readonly keyFile?: string | undefined;
  readonly trustedCaFile?: string | undefined;
  readonly clientCertAuth?: boolean | undefined;
}

/** Client-port TLS options from the flags: undefined when none is given (plain HTTP); an error for a combination that cannot work. */
export function clientTlsFromFlags(flags: ClientTlsFlags): ClientTlsOptions | undefined {
  const { certFile, keyFile } = flags;
  if (certFile === undefined && keyFile === undefined) {
    if (flags.clientCertAuth === true || flags.trustedCaFile !== undefined) {
      throw new TransportOptionsError(
        '--client-cert-auth and --trusted-ca-file need TLS on the client port: give --cert-file and --key-file',
      );
    }
    return undefined;
  }
  if (certFile === undefined || keyFile === undefined) {
    throw new TransportOptionsError(
      `TLS on the client port needs both --cert-file and --key-file; missing: ${certFile === undefined ? '--cert-file' : '--key-file'}`,
    );
  }
  return {
    certFile,
    keyFile,
    ...(flags.trustedCaFile !== undefined ? { trustedCaFile: flags.trustedCaFile } : {}),
    clientCertAuth: flags.clientCertAuth === true,
  };
}
