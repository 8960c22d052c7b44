// Commands: what a raft entry carries to the state machine, and the codec.
// Decoding validates everything, because apply must be total: a malformed
// entry becomes the same typed error on every replica, never a crash.

import { Packr } from 'msgpackr';
import { InvalidRequestError, KvError, RequestTooLargeError } from './errors.js';
import { DEFAULT_LIMITS, type KvLimits } from './limits.js';
import { validateCommand } from './validate.js';
import { validateAuthContext } from './auth/validate.js';
import type { AuthContext } from './auth/types.js';
import type { CommandEnvelope } from './command-types.js';

export type { Command, CommandEnvelope, CommandOp } from './command-types.js';

export type DecodeResult =
  | { ok: true; envelope: CommandEnvelope }
  | { ok: false; error: KvError; clientId?: string; seq?: number };

const packr = new Packr({ useRecords: false });

/**
 * Encodes a command as an exact-size array of its own. msgpackr returns views
 * into a shared buffer of up to ~1 MiB; an entry kept in the Raft log (and the
 * log keeps thousands) would pin that whole buffer: a leader holding 200,000
 * keys written by 128-put txns held 290 MiB of such buffers for ~2,000 entries.
 */
export function encodeCommand(envelope: CommandEnvelope): Uint8Array {
  return new Uint8Array(packr.pack(envelope));
}

export function decodeCommand(data: Uint8Array, limits: KvLimits = DEFAULT_LIMITS): DecodeResult {
  if (data.byteLength > limits.requestBytesMax) {
    return { ok: false, error: RequestTooLargeError.of(data.byteLength, limits.requestBytesMax) };
  }
  let raw: unknown;
  try {
    raw = packr.unpack(data);
  } catch (err) {
    return {
      ok: false,
      error: new InvalidRequestError(
        `command is not valid msgpack (${(err as Error).message}); encode it with encodeCommand`,
      ),
    };
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return {
      ok: false,
      error: new InvalidRequestError('command envelope must be a map { clientId?, seq?, cmd }'),
    };
  }
  const env = raw as Record<string, unknown>;
  const identity = readIdentity(env, limits);
  if (identity instanceof KvError) return { ok: false, error: identity };
  const cmd = validateCommand(env['cmd'], limits);
  if (cmd instanceof KvError) return { ok: false, error: cmd, ...identity };
  if (cmd.op === 'register' && identity.seq !== 1) {
    return {
      ok: false,
      error: new InvalidRequestError(
        "a register command must carry a clientId and seq 1 (it starts the client id's session; its writes follow from seq 2)",
      ),
      ...identity,
    };
  }
  const auth = validateAuthContext(env['auth']);
  if (auth instanceof KvError) return { ok: false, error: auth, ...identity };
  return { ok: true, envelope: { ...identity, ...(auth ? { auth } : {}), cmd } };
}

function readIdentity(
  env: Record<string, unknown>,
  limits: KvLimits,
): { clientId?: string; seq?: number } | KvError {
  const { clientId, seq } = env;
  if (clientId === undefined && seq === undefined) return {};
  if (
    typeof clientId !== 'string' ||
    clientId.length === 0 ||
    Buffer.byteLength(clientId) > limits.clientIdBytesMax
  ) {
    return new InvalidRequestError(
      `clientId must be a non-empty string of at most ${limits.clientIdBytesMax} bytes`,
    );
  }
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 1) {
    return new InvalidRequestError('seq must be a positive safe integer when clientId is set');
  }
  return { clientId, seq };
}
