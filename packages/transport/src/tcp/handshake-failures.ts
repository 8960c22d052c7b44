// Every connection refused before it reached the Raft layer, counted by reason
// (for /metrics: flotilla_peer_handshake_failures_total{reason}) and logged at
// warn level with what to do.
import type { RefusalCode } from '../handshake.js';
import type { Logger } from '../logger.js';

/**
 * `tls`: the TLS handshake failed (certificate from another CA, expired, no
 * client certificate, wrong host). `plainOnTls`: a plain-TCP dialer reached a
 * TLS port. `tlsOnPlain`: a TLS dialer reached a plain-TCP port. `identity`:
 * a verified certificate names another member than the one the connection is
 * for. The rest are the handshake's refusal codes.
 */
export type HandshakeFailureReason = 'plainOnTls' | RefusalCode;

export class HandshakeFailures {
  private readonly counts = new Map<HandshakeFailureReason, number>();

  constructor(private readonly logger: Logger) {}

  /** Counts a failure already logged elsewhere (a handshake refusal). */
  count(reason: HandshakeFailureReason): void {
    this.counts.set(reason, (this.counts.get(reason) ?? 0) + 1);
  }

  record(reason: HandshakeFailureReason, label: Record<string, unknown>, detail: string): void {
    this.count(reason);
    this.logger.warn(
      { ...label, code: reason, reason: detail },
      'peer connection refused before the handshake completed',
    );
  }

  snapshot(): Partial<Record<HandshakeFailureReason, number>> {
    return Object.fromEntries(this.counts);
  }
}
