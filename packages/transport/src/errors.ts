// Typed errors of this package. Each message says what was wrong and what to do.
import { type ErrorCategory, FlotillaError } from '@flotilla/errors';

/** A transport or network was configured with values that cannot work. */
export class TransportOptionsError extends FlotillaError {
  readonly category: ErrorCategory = 'badInput';
  override readonly name = 'TransportOptionsError';
}

/** A fault plan was given an out-of-range value (probability, delay). */
export class FaultPlanError extends FlotillaError {
  readonly category: ErrorCategory = 'badInput';
  override readonly name = 'FaultPlanError';
}

/** A second live transport was requested for a node id that already has one. */
export class DuplicateNodeError extends FlotillaError {
  readonly category: ErrorCategory = 'badInput';
  override readonly name = 'DuplicateNodeError';
  constructor(readonly nodeId: number) {
    super(
      `node ${nodeId} already has a live transport on this network; close it before creating another`,
    );
  }
}

/** A virtual clock ran more timers in one call than allowed: most likely a timer that re-arms itself at zero delay. */
export class ClockRunawayError extends FlotillaError {
  readonly category: ErrorCategory = 'bug';
  override readonly name = 'ClockRunawayError';
}

/** Base of the errors that close a TCP connection because of what the peer sent. */
export class PeerProtocolError extends FlotillaError {
  readonly category: ErrorCategory = 'environment';
  override readonly name: string = 'PeerProtocolError';
}

/** A frame's length prefix is over the configured maximum (checked before buffering anything). */
export class FrameTooLargeError extends PeerProtocolError {
  override readonly name = 'FrameTooLargeError';
  constructor(
    readonly frameBytes: number,
    readonly frameBytesMax: number,
  ) {
    super(
      `frame of ${frameBytes} bytes is over frameBytesMax ${frameBytesMax}; raise frameBytesMax on both sides if such frames are legitimate`,
    );
  }
}

/** A frame's length prefix is zero: no valid frame is empty. */
export class EmptyFrameError extends PeerProtocolError {
  override readonly name = 'EmptyFrameError';
  constructor() {
    super('frame with a zero length prefix; the peer does not speak this protocol');
  }
}

/** The stream ended inside a frame (the peer died mid-frame or its length prefix lied). */
export class TruncatedFrameError extends PeerProtocolError {
  override readonly name = 'TruncatedFrameError';
  constructor(readonly bytesMissing: number) {
    super(
      `stream ended ${bytesMissing} bytes short of the end of a frame; the peer died mid-frame or sent a wrong length prefix`,
    );
  }
}

/** A frame's bytes do not decode to what the protocol expects. */
export class FrameDecodeError extends PeerProtocolError {
  override readonly name = 'FrameDecodeError';
}

/** The handshake was refused or malformed. */
export class HandshakeError extends PeerProtocolError {
  override readonly name = 'HandshakeError';
}

/** A member would listen beyond loopback with a setting that is only safe on loopback (the default cluster token). */
export class InsecureListenError extends FlotillaError {
  readonly category: ErrorCategory = 'badInput';
  override readonly name = 'InsecureListenError';
}
