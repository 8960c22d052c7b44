// Mutual TLS between peers: the options (file paths, as the CLI's
// --peer-* flags name them), loading them with errors that name the file,
// and how a peer's certificate names the member it belongs to.
//
// Identity rule (docs/security.md): a member's name is the SAN URI
// `urn:flotilla:member:<name>` of its certificate, or, when the certificate has
// no such URI, its subject CN. `memberIdOf` turns the name into the node id
// (default: the name is the decimal id). A peer may only act as that id.
import { readFileSync } from 'node:fs';
import { createSecureContext, type PeerCertificate, type SecureContext } from 'node:tls';
import type { NodeId } from '@flotilla/raft';
import { TransportOptionsError } from '../errors.js';

/** The SAN URI prefix under which a certificate names its member. */
export const MEMBER_URI_PREFIX = 'urn:flotilla:member:';

/** Peer TLS as files (etcd's --peer-cert-file, --peer-key-file, --peer-trusted-ca-file, --peer-client-cert-auth, --peer-cert-allowed-cn). */
export interface PeerTlsOptions {
  /** PEM certificate this member presents, both when it dials and when it accepts. */
  readonly certFile: string;
  readonly keyFile: string;
  /** PEM CA bundle that peers' certificates must chain to. */
  readonly trustedCaFile: string;
  /**
   * Require a verified certificate from every dialing peer (default true).
   * When false, a dialer without a certificate is taken on its word (its
   * claimed id); a dialer that shows a certificate is still verified.
   */
  readonly clientCertAuth?: boolean;
  /** When set, a peer's certificate subject CN must be exactly this (etcd's --peer-cert-allowed-cn). */
  readonly allowedCn?: string;
  /** Node id of a member name found in a certificate; undefined refuses it. Default: the name is the decimal id. */
  readonly memberIdOf?: (name: string) => NodeId | undefined;
}

export interface PeerTls {
  /** The PEM contents, for the accepting side's TLS server. */
  readonly pem: { readonly cert: Buffer; readonly key: Buffer; readonly ca: Buffer };
  /** Built once from `pem`, for dialing. */
  readonly context: SecureContext;
  readonly clientCertAuth: boolean;
  readonly allowedCn: string | undefined;
  readonly memberIdOf: (name: string) => NodeId | undefined;
}

/** Reads one PEM file; a missing or non-PEM file fails with the flag's name in the message. */
export function readPemFile(file: string, what: string): Buffer {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    throw new TransportOptionsError(`cannot read ${what} '${file}': ${(err as Error).message}`);
  }
  if (!bytes.includes('-----BEGIN '))
    throw new TransportOptionsError(`${what} '${file}' is not a PEM file (no -----BEGIN line)`);
  return bytes;
}

export const decimalMemberId = (name: string): NodeId | undefined =>
  /^[1-9][0-9]{0,14}$/.test(name) ? Number(name) : undefined;

/** Loads the files once, at start, so a bad file stops the start instead of every handshake. */
export function loadPeerTls(options: PeerTlsOptions): PeerTls {
  const cert = readPemFile(options.certFile, 'peer certificate (--peer-cert-file)');
  const key = readPemFile(options.keyFile, 'peer key (--peer-key-file)');
  const ca = readPemFile(options.trustedCaFile, 'peer trusted CA (--peer-trusted-ca-file)');
  let context: SecureContext;
  try {
    context = createSecureContext({ cert, key, ca });
  } catch (err) {
    throw new TransportOptionsError(
      `peer TLS files do not work together (${options.certFile}, ${options.keyFile}, ${options.trustedCaFile}): ${(err as Error).message}`,
    );
  }
  if (options.allowedCn !== undefined && options.allowedCn.length === 0)
    throw new TransportOptionsError('allowedCn must not be empty; leave it unset to allow any CN');
  return {
    pem: { cert, key, ca },
    context,
    clientCertAuth: options.clientCertAuth ?? true,
    allowedCn: options.allowedCn,
    memberIdOf: options.memberIdOf ?? decimalMemberId,
  };
}

/** The member name a certificate carries: its SAN URI under MEMBER_URI_PREFIX, else its CN. */
export function certificateName(cert: PeerCertificate): string | undefined {
  const uris = (cert.subjectaltname ?? '')
    .split(', ')
    .filter((s) => s.startsWith(`URI:${MEMBER_URI_PREFIX}`));
  if (uris.length > 1) return undefined; // Two names: which one is it? Refuse rather than guess.
  if (uris.length === 1) return uris[0]!.slice(`URI:${MEMBER_URI_PREFIX}`.length);
  const cn = cert.subject?.CN;
  return typeof cn === 'string' && cn.length > 0 ? cn : undefined;
}

export type IdentityResult =
  | { readonly ok: true; readonly id: NodeId }
  | { readonly ok: false; readonly reason: string };

/** Which node a verified certificate belongs to, under the identity rule above. */
export function certificateIdentity(tls: PeerTls, cert: PeerCertificate): IdentityResult {
  const cn = cert.subject?.CN;
  if (tls.allowedCn !== undefined && cn !== tls.allowedCn) {
    return {
      ok: false,
      reason: `certificate CN '${String(cn)}' is not the allowed CN '${tls.allowedCn}'`,
    };
  }
  const name = certificateName(cert);
  if (name === undefined)
    return {
      ok: false,
      reason: `certificate names no member: give it one SAN URI ${MEMBER_URI_PREFIX}<name> or a CN`,
    };
  const id = tls.memberIdOf(name);
  if (id === undefined)
    return { ok: false, reason: `certificate names member '${name}', which is no member id here` };
  return { ok: true, id };
}

/** The first bytes of a TLS connection: a handshake record (0x16) of version 3.x. */
export function looksLikeTls(chunk: Uint8Array): boolean {
  return chunk.length >= 2 && chunk[0] === 0x16 && chunk[1] === 0x03;
}

/** The CLI's peer TLS flags as parsed, before any check (etcd's names). */
export interface PeerTlsFlags {
  readonly peerCertFile?: string | undefined;
  readonly peerKeyFile?: string | undefined;
  readonly peerTrustedCaFile?: string | undefined;
  readonly peerClientCertAuth?: boolean | undefined;
  readonly peerCertAllowedCn?: string | undefined;
}

/**
 * Peer TLS options from the flags: undefined when none is given (plain TCP);
 * a TransportOptionsError for a combination that cannot work. As in etcd,
 * --peer-client-cert-auth is off unless given.
 */
export function peerTlsFromFlags(
  flags: PeerTlsFlags,
  memberIdOf?: (name: string) => NodeId | undefined,
): PeerTlsOptions | undefined {
  const { peerCertFile: certFile, peerKeyFile: keyFile, peerTrustedCaFile: trustedCaFile } = flags;
  if (certFile === undefined && keyFile === undefined && trustedCaFile === undefined) {
    if (flags.peerClientCertAuth === true || flags.peerCertAllowedCn !== undefined) {
      throw new TransportOptionsError(
        '--peer-client-cert-auth and --peer-cert-allowed-cn need peer TLS: give --peer-cert-file, --peer-key-file and --peer-trusted-ca-file',
      );
    }
    return undefined;
  }
  if (certFile === undefined || keyFile === undefined || trustedCaFile === undefined) {
    const missing = [
      certFile === undefined && '--peer-cert-file',
      keyFile === undefined && '--peer-key-file',
      trustedCaFile === undefined && '--peer-trusted-ca-file',
    ]
      .filter(Boolean)
      .join(', ');
    throw new TransportOptionsError(
      `peer TLS needs --peer-cert-file, --peer-key-file and --peer-trusted-ca-file together; missing: ${missing}`,
    );
  }
  return {
    certFile,
    keyFile,
    trustedCaFile,
    clientCertAuth: flags.peerClientCertAuth === true,
    ...(flags.peerCertAllowedCn !== undefined ? { allowedCn: flags.peerCertAllowedCn } : {}),
    ...(memberIdOf !== undefined ? { memberIdOf } : {}),
  };
}

const TLS_ERROR_CODE =
  /^(ERR_SSL_|ERR_TLS_|EPROTO$|UNABLE_TO_|CERT_|DEPTH_ZERO_SELF_SIGNED_CERT$|SELF_SIGNED_CERT_IN_CHAIN$|INVALID_CA$|HOSTNAME_MISMATCH$)/;

/**
 * Whether a socket error is a TLS failure (protocol or certificate), as
 * opposed to the connection merely breaking (ECONNRESET while a peer restarts).
 */
export function isTlsError(err: NodeJS.ErrnoException): boolean {
  return err.code !== undefined && TLS_ERROR_CODE.test(err.code);
}
