// Base64 as etcd's JSON gateway speaks it: bytes fields are standard base64
// with padding; the URL-safe alphabet is accepted too (as grpc-gateway does).
import { GatewayError } from './gateway-error.js';

const STANDARD = /^[A-Za-z0-9+/]*={0,2}$/;
const URL_SAFE = /^[A-Za-z0-9_-]*={0,2}$/;

/** Decodes a base64 field strictly: a malformed string is a 400, never silently truncated bytes. */
export function decodeBase64(text: string, path: string): Uint8Array {
  const standard = STANDARD.test(text);
  if ((!standard && !URL_SAFE.test(text)) || text.length % 4 !== 0) {
    throw GatewayError.invalidArgument(
      `illegal base64 data in field ${path}: expected padded base64 (e.g. "Zm9v" for "foo")`,
    );
  }
  const buf = Buffer.from(text, standard ? 'base64' : 'base64url');
  // A short result is a slice of Node's shared 8 KiB pool: copied out, else every value would
  // carry (and pin) the whole pool, and crossing to the node's worker thread clones all of it.
  if (buf.byteLength !== buf.buffer.byteLength) return new Uint8Array(buf);
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

export function encodeBase64(data: Uint8Array): string {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64');
}
