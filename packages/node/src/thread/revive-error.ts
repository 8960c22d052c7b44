// Errors from the worker, re-created on the host as the same classes: kv's
// and the node's own through the node-to-node wire format (errorFromWire),
// storage's and transport's (a locked data directory, an insecure listener,
// bad TLS files...) by class name, with their fields, message and stack, so
// `instanceof` and mapping by name work as with an inline node.
import * as storage from '@flotilla/storage';
import * as transport from '@flotilla/transport';
import { errorFromWire, type WireError } from '../errors.js';

type ErrorClass = abstract new (...args: never[]) => Error;

const BY_NAME = new Map<string, ErrorClass>();
for (const value of [...Object.values(storage), ...Object.values(transport)]) {
  if (typeof value === 'function' && value.prototype instanceof Error)
    BY_NAME.set(value.name, value as ErrorClass);
}

export function reviveError(data: WireError): Error {
  const cls = data.kv === undefined ? BY_NAME.get(data.name) : undefined;
  if (cls === undefined) return errorFromWire(data);
  const err = Object.create(cls.prototype) as Error;
  Object.assign(err, data.fields, { message: data.message });
  return err;
}
