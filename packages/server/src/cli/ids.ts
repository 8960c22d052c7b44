// Member and lease ids on the command line: hex, as etcdctl shows them.
import { UsageError } from './errors.js';

export { memberIdOf } from '../cluster/member-id.js';

export function hexId(id: number): string {
  return id.toString(16);
}

/** A lease id as etcdctl prints it: 16 hex digits, zero-padded. */
export function leaseHex(id: number): string {
  return id.toString(16).padStart(16, '0');
}

/** Parses an id as etcdctl does: hexadecimal (up to 16 digits, as etcdctl prints a lease id). */
export function parseHexId(text: string, what: string): number {
  if (!/^(0x)?[0-9a-fA-F]{1,16}$/.test(text)) {
    throw new UsageError(
      `${what} must be a hexadecimal id as printed by flotilla (e.g. 3a9f1c2b), got ${JSON.stringify(text)}`,
    );
  }
  const id = Number.parseInt(text.replace(/^0x/, ''), 16);
  if (!Number.isSafeInteger(id) || id <= 0) throw new UsageError(`${what} ${text} is out of range`);
  return id;
}
