// The start-time check of how exposed a member is. A port on a non-loopback
// address without TLS can be reached by anyone on the network: it is allowed
// (private networks, tests) but logged loudly. The default cluster token is
// refused there: on a shared network it is the only thing a plain peer
// handshake checks, and everyone knows the default. The CLI's start and
// openNode call this before listening.
import { isIP } from 'node:net';
import { InsecureListenError } from '../errors.js';
import type { Logger } from '../logger.js';

/** The cluster token (clusterId) used when none is given. */
export const DEFAULT_CLUSTER_TOKEN = 'flotilla';

export interface ExposedListener {
  /** 'peer' (Raft traffic) or 'client' (the HTTP API). */
  readonly port: 'peer' | 'client';
  readonly host: string;
  readonly tls: boolean;
}

export interface ExposureCheck {
  readonly clusterId: string;
  readonly listeners: readonly ExposedListener[];
  readonly logger?: Logger;
}

/** 127.0.0.0/8, ::1 and localhost. An empty host, 0.0.0.0 and :: listen on every interface: not loopback. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (h === 'localhost') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) return h === '::1' || h.startsWith('::ffff:127.');
  return false;
}

/**
 * Throws InsecureListenError if a listener is beyond loopback and the cluster
 * token is the default; returns (and logs at warn level) one warning per
 * listener beyond loopback without TLS.
 */
export function checkExposure(check: ExposureCheck): string[] {
  const exposed = check.listeners.filter((l) => !isLoopbackHost(l.host));
  if (exposed.length > 0 && check.clusterId === DEFAULT_CLUSTER_TOKEN) {
    const where = exposed.map((l) => `${l.port} port on ${l.host || 'every interface'}`).join(', ');
    throw new InsecureListenError(
      `refusing to listen beyond loopback (${where}) with the default cluster token '${DEFAULT_CLUSTER_TOKEN}': set a cluster token of your own (--initial-cluster-token), and turn on TLS (docs/security.md)`,
    );
  }
  const warnings = exposed
    .filter((l) => !l.tls)
    .map((l) =>
      l.port === 'peer'
        ? `SECURITY: the peer port listens on ${l.host || 'every interface'} without TLS: anyone who can reach it and knows the cluster token can act as a member. Turn on peer mTLS (--peer-cert-file, --peer-key-file, --peer-trusted-ca-file, --peer-client-cert-auth); see docs/security.md`
        : `SECURITY: the client port listens on ${l.host || 'every interface'} without TLS: anyone who can reach it can read and write every key, in clear text. Turn on TLS (--cert-file, --key-file, --trusted-ca-file, --client-cert-auth); see docs/security.md`,
    );
  for (const warning of warnings) check.logger?.warn({ security: true }, warning);
  return warnings;
}
