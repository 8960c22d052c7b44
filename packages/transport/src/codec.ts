// Frame payloads: MessagePack through msgpackr, without records/structures
// (they would make a frame depend on earlier frames of the same connection).
// Decoded values are checked against the Message shapes before anyone sees
// them, so a buggy or foreign peer cannot hand the Raft core a malformed object.
import { Packr } from 'msgpackr';
import type { MessageType } from '@flotilla/raft';
import { FrameDecodeError } from './errors.js';
import type { WireMessage } from './transport.js';

/**
 * One encoder/decoder. `copyBuffers` makes every decoded `Uint8Array` its own
 * copy, so an entry kept in a log does not pin the whole socket chunk it came in.
 */
export function createPackr(): Packr {
  return new Packr({ useRecords: false, copyBuffers: true, mapsAsObjects: true });
}

export function unpackPayload(packr: Packr, payload: Uint8Array): unknown {
  try {
    return packr.unpack(payload);
  } catch (err) {
    throw new FrameDecodeError(
      `frame payload is not valid MessagePack (${(err as Error).message}); the peer runs another protocol or is corrupting data`,
    );
  }
}

type FieldKind = 'number' | 'boolean' | 'string';
const ENVELOPE: Record<string, FieldKind> = { from: 'number', to: 'number', term: 'number' };
const FIELDS: Record<MessageType, Record<string, FieldKind>> = {
  preVote: { lastLogIndex: 'number', lastLogTerm: 'number' },
  preVoteResp: { reject: 'boolean' },
  vote: { lastLogIndex: 'number', lastLogTerm: 'number', transfer: 'boolean' },
  voteResp: { reject: 'boolean' },
  append: { prevIndex: 'number', prevTerm: 'number', commit: 'number' },
  appendResp: { reject: 'boolean', index: 'number', rejectHint: 'number', hintTerm: 'number' },
  heartbeat: { commit: 'number', context: 'string' },
  heartbeatResp: { context: 'string' },
  snapshot: {},
  timeoutNow: {},
  readIndex: { context: 'string' },
  readIndexResp: { index: 'number', context: 'string', reject: 'boolean' },
};

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function checkFields(
  value: Record<string, unknown>,
  fields: Record<string, FieldKind>,
  what: string,
): void {
  for (const [name, kind] of Object.entries(fields)) {
    if (typeof value[name] !== kind)
      throw new FrameDecodeError(`${what}: field '${name}' should be a ${kind}`);
  }
}

function checkEntry(entry: unknown, what: string): void {
  if (!isObject(entry)) throw new FrameDecodeError(`${what}: an entry is not an object`);
  checkFields(entry, { term: 'number', index: 'number' }, what);
  if (entry['type'] === 'normal') {
    if (!(entry['data'] instanceof Uint8Array))
      throw new FrameDecodeError(`${what}: a normal entry has no byte data`);
  } else if (entry['type'] === 'confChange') {
    const change = entry['change'];
    if (!isObject(change) || !Array.isArray(change['changes']))
      throw new FrameDecodeError(`${what}: a confChange entry has no changes list`);
  } else {
    throw new FrameDecodeError(`${what}: unknown entry type ${String(entry['type'])}`);
  }
}

function checkMessage(value: unknown): WireMessage {
  if (!isObject(value)) throw new FrameDecodeError('a message is not an object');
  const type = value['type'];
  if (type === 'node') {
    checkFields(value, ENVELOPE, 'node message');
    if (!(value['payload'] instanceof Uint8Array))
      throw new FrameDecodeError("node message: 'payload' should be bytes");
    return value as unknown as WireMessage;
  }
  if (typeof type !== 'string' || !Object.hasOwn(FIELDS, type))
    throw new FrameDecodeError(`unknown message type ${String(type)}`);
  const what = `${type} message`;
  checkFields(value, ENVELOPE, what);
  checkFields(value, FIELDS[type as MessageType], what);
  if (type === 'append') {
    const entries = value['entries'];
    if (!Array.isArray(entries)) throw new FrameDecodeError(`${what}: 'entries' should be a list`);
    for (const entry of entries) checkEntry(entry, what);
  } else if (type === 'snapshot') {
    const snapshot = value['snapshot'];
    if (
      !isObject(snapshot) ||
      !isObject(snapshot['meta']) ||
      !(snapshot['data'] instanceof Uint8Array)
    ) {
      throw new FrameDecodeError(`${what}: 'snapshot' should hold meta and byte data`);
    }
  }
  return value as unknown as WireMessage;
}

/** A data frame's payload: a non-empty list of messages (Raft or node messages). */
export function encodeBatch(packr: Packr, messages: readonly WireMessage[]): Uint8Array {
  return packr.pack(messages);
}

/** Decodes and checks a data frame. Throws FrameDecodeError on anything that is not a list of messages. */
export function decodeBatch(packr: Packr, payload: Uint8Array): WireMessage[] {
  const value = unpackPayload(packr, payload);
  if (!Array.isArray(value) || value.length === 0)
    throw new FrameDecodeError('a data frame should hold a non-empty list of messages');
  return value.map(checkMessage);
}
